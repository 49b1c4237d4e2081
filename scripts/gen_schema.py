"""Generate the OTRS table definitions in ``modules/db/schema/`` from OTRS's schema XML.

The XML (OTRS 6's ``otrs-schema.xml``, reference material outside the product) is read once; the Python files it
produces are the source of truth afterwards, and this script stays for regeneration and review.  On top of the XML
it applies, as data declared below:

* the table rename Znuny made: ``groups`` is ``permission_groups``;
* the Znuny 7 additions: four new tables, wider columns (the wider type wins), a few new nullable columns and one
  index, so OTRS, Znuny and GOTRS databases all fit;
* ``use_alter`` on the foreign keys that close a reference cycle (``users.valid_id`` <-> ``valid.create_by``).

It refuses to write anything that would not work on PostgreSQL, SQLite or MariaDB (utf8mb4): names longer than 63
characters or used twice, MySQL indexes over TEXT without a prefix length or longer than 3072 bytes.

The GOTRS extras (``color`` on priorities and states, ``article_color``) are hand-written in
``modules/db/schema/gotrs_extras.py``; this script leaves that file, ``__init__.py`` and ``_types.py`` alone.

Usage::

    .venv/bin/python scripts/gen_schema.py            # (re)write modules/db/schema/<area>.py
    .venv/bin/python scripts/gen_schema.py --check    # exit 1 if the files differ from what the XML gives
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from schema_xml import ColumnSpec, ForeignKeySpec, IndexSpec, TableSpec, parse_schema

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "modules" / "db" / "schema"
DEFAULT_XML = ROOT.parent / "shared" / "reference" / "otrs6" / "otrs-schema.xml"

MAX_NAME = 63  # PostgreSQL's identifier limit; MySQL allows 64
MYSQL_KEY_BYTES = 3072  # InnoDB key limit with DYNAMIC rows; utf8mb4 needs 4 bytes per character
MYSQL_BYTES_PER_CHAR = 4
INTEGER_TYPES = {"SMALLINT": 2, "INTEGER": 4, "BIGINT": 8}


# --- Znuny 7 -----------------------------------------------------------------------------------------------------
# Read in znuny/Znuny scripts/database/schema.xml (commit 3f0b15d, 122 tables).  Only facts that OTRS 6 lacks or
# that Znuny made wider are listed; where both differ, the wider definition wins, and added columns are nullable.

ZNUNY = "Znuny 7"


def _columns(spec: str) -> list[ColumnSpec]:
    """Columns in a short notation: ``name TYPE``, ``VARCHAR(n)``, ``?`` for NULL, ``=value`` for a default,
    ``pk`` for an auto-increment primary key, ``+audit`` for create_time, create_by, change_time, change_by."""
    columns: list[ColumnSpec] = []
    for item in spec.split(","):
        if item.strip() == "+audit":
            columns += _columns("create_time DATE, create_by INTEGER, change_time DATE, change_by INTEGER")
            continue
        name, type_, *flags = item.split()
        base, _, size = type_.rstrip("?").partition("(")
        pk = "pk" in flags
        default = next((flag[1:] for flag in flags if flag.startswith("=")), None)
        columns.append(ColumnSpec(name, base, size.rstrip(")") or None, not type_.endswith("?"), pk, pk, default))
    return columns


def _by_users(*columns: str) -> list[ForeignKeySpec]:
    return [ForeignKeySpec(column, "users") for column in columns]


# (new table, the table it follows in Znuny's order)
ZNUNY_TABLES: list[tuple[TableSpec, str]] = [
    (
        TableSpec(
            "acl_ticket_attribute_relations",
            _columns(
                "id BIGINT pk, filename VARCHAR(255), attribute_1 VARCHAR(200), attribute_2 VARCHAR(200),"
                " acl_data VARCHAR(1800000), priority BIGINT, +audit"
            ),
            [IndexSpec("acl_tar_filename", ["filename"], unique=True)],
            _by_users("create_by", "change_by"),
            note=ZNUNY,
        ),
        "acl_sync",
    ),
    (
        TableSpec(
            "calendar_appointment_plugin",
            _columns(
                "id INTEGER pk, dbcrud_uuid VARCHAR(36)?, appointment_id BIGINT, plugin_key VARCHAR(1000),"
                " config VARCHAR(1000000)?, +audit"
            ),
            [IndexSpec("calendar_appointment_plugin_uuid", ["dbcrud_uuid"], unique=True)],
            _by_users("create_by", "change_by"),
            note=ZNUNY,
        ),
        "calendar_appointment",
    ),
    (
        TableSpec(
            "smime_keys",
            _columns(
                "id INTEGER pk, key_hash VARCHAR(8), key_type VARCHAR(255), file_name VARCHAR(255),"
                " email_address VARCHAR(100000)?, expiration_date DATE?, fingerprint VARCHAR(59)?,"
                " subject VARCHAR(100000)?, create_time DATE?, change_time DATE?, create_by INTEGER?,"
                " change_by INTEGER?"
            ),
            [IndexSpec(f"smime_keys_{c}", [c]) for c in ("key_hash", "key_type", "file_name")],
            _by_users("create_by", "change_by"),
            note=ZNUNY,
        ),
        "form_draft",
    ),
    (
        TableSpec(
            "mention",
            _columns("id INTEGER pk, user_id INTEGER?, ticket_id INTEGER?, article_id INTEGER?, create_time DATE?"),
            [IndexSpec(f"mention_{c}", [c]) for c in ("user_id", "ticket_id", "article_id")],
            note=ZNUNY,
        ),
        "oauth2_token",
    ),
]

# (table, column) -> its VARCHAR size in Znuny 7
ZNUNY_WIDER: dict[tuple[str, str], int] = {
    ("standard_template", "text"): 16777216,
    ("notification_event_message", "text"): 16777216,
    ("customer_user_customer", "user_id"): 200,
    ("generic_agent_jobs", "job_key"): 255,
    ("generic_agent_jobs", "job_value"): 3800,
    ("oauth2_token_config", "config"): 100000,
    ("oauth2_token", "authorization_code"): 100000,
    ("oauth2_token", "token"): 100000,
    ("oauth2_token", "refresh_token"): 100000,
    ("oauth2_token", "error_message"): 100000,
    ("oauth2_token", "error_description"): 100000,
    ("oauth2_token", "error_code"): 1000,
}

# (table, the column it follows, the column Znuny 7 has, a note): nullable here, since OTRS 6 code never fills them.
ZNUNY_COLUMNS: list[tuple[str, str, str, str]] = [
    ("mail_account", "auth_method", "authentication_type VARCHAR(100)? =password", f"{ZNUNY}'s name for auth_method"),
    ("oauth2_token_config", "id", "dbcrud_uuid VARCHAR(36)?", ZNUNY),
    ("oauth2_token", "id", "dbcrud_uuid VARCHAR(36)?", ZNUNY),
    ("oauth2_token", "config_id", "token_config_id INTEGER?", f"{ZNUNY}'s name for config_id"),
]

ZNUNY_FOREIGN_KEYS: list[tuple[str, ForeignKeySpec]] = [
    ("oauth2_token", ForeignKeySpec("token_config_id", "oauth2_token_config")),
]

ZNUNY_INDEXES: list[tuple[str, IndexSpec]] = [
    ("time_accounting", IndexSpec("time_accounting_article_id", ["article_id"], note=ZNUNY)),
    ("oauth2_token_config", IndexSpec("oauth2_token_config_uuid", ["dbcrud_uuid"], unique=True, note=ZNUNY)),
    ("oauth2_token", IndexSpec("oauth2_token_uuid", ["dbcrud_uuid"], unique=True, note=ZNUNY)),
    # Znuny calls this one oauth2_token_config_id, the name OTRS 6 already gives the unique on config_id.
    (
        "oauth2_token",
        IndexSpec(
            "oauth2_token_token_config_id",
            ["token_config_id"],
            unique=True,
            note=f"{ZNUNY}, named oauth2_token_config_id there",
        ),
    ),
]


def apply_znuny(tables: list[TableSpec]) -> list[TableSpec]:
    by_name = {t.name: t for t in tables}
    for (table_name, column_name), size in ZNUNY_WIDER.items():
        column = by_name[table_name].column(column_name)
        if column.type != "VARCHAR" or int(column.size or 0) >= size:
            raise SystemExit(f"{table_name}.{column_name}: VARCHAR({size}) is not wider than the XML's definition")
        column.note = f"{ZNUNY}; OTRS 6: {column.type}({column.size})"
        column.size = str(size)
    for table_name, after, spec, note in ZNUNY_COLUMNS:
        (column,) = _columns(spec)
        column.note = note
        columns = by_name[table_name].columns
        columns.insert(columns.index(by_name[table_name].column(after)) + 1, column)
    for table_name, fk in ZNUNY_FOREIGN_KEYS:
        by_name[table_name].foreign_keys.append(fk)
    for table_name, index in ZNUNY_INDEXES:
        by_name[table_name].indexes.append(index)
    result = list(tables)
    for new_table, after in ZNUNY_TABLES:
        result.insert([t.name for t in result].index(after) + 1, new_table)
    return result


# --- reference cycles --------------------------------------------------------------------------------------------


def break_cycles(tables: list[TableSpec]) -> list[str]:
    """Mark ``use_alter`` on each foreign key that closes a cycle (a DFS back edge, in table order)."""
    by_name = {t.name: t for t in tables}
    state: dict[str, str] = {}  # "open" while on the DFS stack, then "done"
    broken: list[str] = []

    def visit(table: TableSpec) -> None:
        state[table.name] = "open"
        for fk in table.foreign_keys:
            if fk.referred_table == table.name:
                continue  # a self-reference needs no ordering
            target = state.get(fk.referred_table)
            if target == "open":
                fk.use_alter = True
                fk.note = f"{table.name} <-> {fk.referred_table} cycle: added by ALTER TABLE"
                broken.append(f"{table.name}.{fk.column} -> {fk.referred_table}")
            elif target is None:
                visit(by_name[fk.referred_table])
        state[table.name] = "done"

    for table in tables:
        if table.name not in state:
            visit(table)
    return broken


# --- checks ------------------------------------------------------------------------------------------------------


def load_fk_namer() -> Callable[[str, str, str], str]:
    """Load ``otrs_fk_name`` from ``_types.py`` by path: importing the package would need the generated files."""
    spec = importlib.util.spec_from_file_location("_gotrs_schema_types", SCHEMA_DIR / "_types.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.otrs_fk_name  # type: ignore[no-any-return]


def _mysql_key_bytes(column: ColumnSpec, length: int | None) -> int:
    if column.type in INTEGER_TYPES:
        return INTEGER_TYPES[column.type]
    if column.type == "DATE":
        return 8
    if column.type == "VARCHAR":
        return MYSQL_BYTES_PER_CHAR * (length or int(column.size or 0))
    raise SystemExit(f"cannot index a {column.type} column ({column.name})")


def check(tables: list[TableSpec]) -> list[str]:
    fk_name = load_fk_namer()
    problems: list[str] = []
    table_names = {t.name for t in tables}
    seen: dict[str, str] = {}

    def claim(name: str, owner: str) -> None:
        if len(name) > MAX_NAME:
            problems.append(f"{owner}: name {name!r} is longer than {MAX_NAME} characters")
        if name in seen or name in table_names:
            problems.append(f"{owner}: name {name!r} is already used by {seen.get(name, 'a table')}")
        seen[name] = owner

    for table in tables:
        for fk in table.foreign_keys:
            if fk.referred_table not in table_names:
                problems.append(f"{table.name}.{fk.column} refers to a missing table {fk.referred_table}")
            claim(fk_name(table.name, fk.column, "id"), f"{table.name}.{fk.column}")
        for index in table.indexes:
            claim(index.name, table.name)
            key_bytes = 0
            for name in index.columns:
                column = table.column(name)
                length = index.lengths.get(name)
                if column.type == "VARCHAR" and int(column.size or 0) > 255 and length is None:
                    problems.append(f"{table.name}.{index.name}: {name} is TEXT on MySQL and needs a prefix length")
                key_bytes += _mysql_key_bytes(column, length)
            if key_bytes > MYSQL_KEY_BYTES:
                problems.append(f"{table.name}.{index.name}: {key_bytes} bytes exceed MySQL's {MYSQL_KEY_BYTES}")
    return problems


# --- areas -------------------------------------------------------------------------------------------------------
# file -> (first line of its docstring, its tables in the order of Znuny's schema)

AREAS: dict[str, tuple[str, str]] = {
    "users_groups": (
        "Agents, groups, roles and their permissions, and the validity states every table refers to.",
        "valid users user_preferences permission_groups group_user group_role group_customer_user"
        " group_customer roles role_user personal_queues personal_services",
    ),
    "queues": (
        "Queues and what they send: system addresses, salutations, signatures, templates, auto responses.",
        "salutation signature system_address follow_up_possible queue queue_preferences standard_template"
        " queue_standard_template standard_attachment standard_template_attachment auto_response_type"
        " auto_response queue_auto_response",
    ),
    "ticket": (
        "Tickets, their lookup tables (priority, type, lock, state), history, flags, watchers and counters.",
        "ticket_priority ticket_type ticket_lock_type ticket_state ticket_state_type ticket ticket_flag"
        " ticket_history ticket_history_type ticket_watcher ticket_index ticket_lock_index"
        " ticket_loop_protection time_accounting ticket_number_counter mention",
    ),
    "article": (
        "Articles: the messages of a ticket, their channel-specific data (MIME, chat), attachments and flags.",
        "article_sender_type article_flag communication_channel article article_data_mime"
        " article_search_index article_data_mime_plain article_data_mime_attachment"
        " article_data_mime_send_error article_data_otrs_chat",
    ),
    "service": (
        "Services and service level agreements.",
        "service service_preferences service_customer_user sla sla_preferences service_sla",
    ),
    "customer": (
        "Customer users and customer companies (the database backend of OTRS's customer sources).",
        "customer_user customer_preferences customer_company customer_user_customer",
    ),
    "mail": (
        "Mail in and out: accounts, postmaster filters, the outgoing queue, the communication log, S/MIME, OAuth2.",
        "mail_account postmaster_filter mail_queue communication_log communication_log_object"
        " communication_log_object_entry communication_log_obj_lookup smime_signer_cert_relations smime_keys"
        " oauth2_token_config oauth2_token",
    ),
    "admin": (
        "Administration: ACLs, generic agent jobs, notifications, system maintenance and saved searches.",
        "acl acl_sync acl_ticket_attribute_relations generic_agent_jobs search_profile notification_event"
        " notification_event_message notification_event_item system_maintenance",
    ),
    "dynamic_field": (
        "Dynamic fields and their values, and links between objects.",
        "dynamic_field_value dynamic_field dynamic_field_obj_id_name link_type link_state link_object link_relation",
    ),
    "process": (
        "Process management: processes, activities, dialogs, transitions and their actions.",
        "pm_process pm_activity pm_activity_dialog pm_transition pm_transition_action pm_entity_sync",
    ),
    "webservice": (
        "The GenericInterface: web service configurations and the debugger log.",
        "gi_webservice_config gi_webservice_config_history gi_debugger_entry gi_debugger_entry_content",
    ),
    "calendars": (
        "Calendars and appointments, including the ones generated from tickets.",
        "calendar calendar_appointment calendar_appointment_plugin calendar_appointment_ticket",
    ),
    "sysconfig": (
        "System configuration: setting defaults, modified values, their versions and deployments.",
        "sysconfig_default sysconfig_default_version sysconfig_modified sysconfig_modified_version"
        " sysconfig_deployment_lock sysconfig_deployment cloud_service_config",
    ),
    "system": (
        "System storage: sessions, key-value data, the virtual file system, packages, uploads, the scheduler.",
        "sessions system_data xml_storage virtual_fs virtual_fs_preferences virtual_fs_db package_repository"
        " web_upload_cache process_id scheduler_task scheduler_future_task scheduler_recurrent_task form_draft",
    ),
}


def check_areas(tables: list[TableSpec]) -> list[str]:
    assigned = [name for _, names in AREAS.values() for name in names.split()]
    known = {t.name for t in tables}
    problems = [f"table {name} is listed in AREAS twice" for name in sorted(set(assigned)) if assigned.count(name) > 1]
    problems += [f"table {name} has no file in AREAS" for name in sorted(known - set(assigned))]
    problems += [f"AREAS lists an unknown table {name}" for name in sorted(set(assigned) - known)]
    return problems


# --- rendering ---------------------------------------------------------------------------------------------------

HELPERS = {
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "VARCHAR": "varchar",
    "DATE": "datetime",
    "DECIMAL": "decimal",
    "LONGBLOB": "longblob",
}
AUDIT = [("create_time", "DATE"), ("create_by", "INTEGER"), ("change_time", "DATE"), ("change_by", "INTEGER")]
LINE_LENGTH = 120


@dataclass
class Call:
    """One item of a ``table(...)`` call: a helper, its arguments and an optional trailing comment."""

    helper: str
    args: list[str]
    note: str = ""

    def render(self, indent: str = "    ") -> str:
        comment = f"  # {self.note}" if self.note else ""
        line = f"{indent}{self.helper}({', '.join(self.args)}),"
        if len(line) <= LINE_LENGTH:
            return line + comment
        inner = "".join(f"\n{indent}    {arg}," for arg in self.args)  # one argument per line, as ruff would
        return f"{indent}{self.helper}({comment}{inner}\n{indent}),"


def _literal(value: str) -> str:
    return json.dumps(value)  # a double-quoted Python literal for the plain ASCII values OTRS uses


def column_call(table: TableSpec, column: ColumnSpec) -> Call:
    args = [_literal(column.name)]
    if column.type == "VARCHAR":
        args.append(str(int(column.size or 0)))
    elif column.type == "DECIMAL":
        args += [part.strip() for part in (column.size or "").split(",")]
    if column.primary_key:
        args.append("primary_key=True")
        if column.type in INTEGER_TYPES and not column.auto_increment:
            args.append("autoincrement=False")
    elif not column.required:
        args.append("nullable=True")
    if column.default is not None:
        value = column.default if column.type in INTEGER_TYPES else _literal(column.default)
        args.append(f"default={value}")
    notes = [column.note]
    fk = table.foreign_key(column.name)
    if fk is not None:
        args.append(f"references={_literal(fk.referred_table)}")
        if fk.use_alter:
            args.append("use_alter=True")
        notes.append(fk.note)
    return Call(HELPERS[column.type], args, "; ".join(n for n in notes if n))


def audit_call(table: TableSpec, start: int) -> Call | None:
    """``*audit_columns(...)`` if the four audit columns start at ``start``, as plain as OTRS usually has them."""
    columns = table.columns[start : start + 4]
    if [(c.name, c.type) for c in columns] != AUDIT:
        return None
    if any(not c.required or c.primary_key or c.default is not None or c.note for c in columns):
        return None
    fks = [table.foreign_key(c.name) for c in columns]
    if fks[0] or fks[2] or any(fk and fk.use_alter for fk in fks):
        return None
    targets = {fk.referred_table if fk else None for fk in (fks[1], fks[3])}
    if targets == {"users"}:
        return Call("*audit_columns", [])
    return Call("*audit_columns", ["references_users=False"]) if targets == {None} else None


def index_call(index: IndexSpec) -> Call:
    args = [_literal(index.name), *(_literal(c) for c in index.columns)]
    if index.unique:
        if index.lengths:
            raise SystemExit(f"unique {index.name}: prefix lengths on unique constraints are not supported")
        return Call("unique", args, index.note)
    if index.lengths:
        lengths = ", ".join(f"{_literal(c)}: {n}" for c, n in index.lengths.items())
        args.append(f"mysql_length={{{lengths}}}")
    return Call("index", args, index.note)


def table_calls(table: TableSpec) -> list[Call]:
    calls: list[Call] = []
    i = 0
    while i < len(table.columns):
        audit = audit_call(table, i)
        calls.append(audit or column_call(table, table.columns[i]))
        i += 4 if audit else 1
    return calls + [index_call(index) for index in table.indexes]


def render_file(doc: str, tables: Iterable[TableSpec], source: str) -> str:
    blocks: list[str] = []
    used = {"table"}
    for table in tables:
        calls = table_calls(table)
        used |= {call.helper.lstrip("*") for call in calls}
        header = f"{table.name} = table(" + (f"  # {table.note}" if table.note else "")
        items = "\n".join(call.render() for call in calls)
        blocks.append(f"{header}\n    {_literal(table.name)},\n{items}\n)")
    imports = "".join(f"    {name},\n" for name in sorted(used))
    return (
        f'"""{doc}\n\n'
        f"Generated by scripts/gen_schema.py from {source}\nand the Znuny 7 additions. "
        "The baseline schema is frozen: later changes go through new Alembic\nmigrations, not edits to this file.\n"
        '"""\n\n'
        f"from modules.db.schema._types import (\n{imports})\n\n" + "\n\n".join(blocks) + "\n"
    )


def generate(xml_path: Path) -> tuple[dict[Path, str], list[str]]:
    tables = apply_znuny(parse_schema(xml_path))
    broken = break_cycles(tables)
    problems = check_areas(tables) + check(tables)
    if problems:
        raise SystemExit("refusing to generate:\n  " + "\n  ".join(problems))
    digest = hashlib.sha256(xml_path.read_bytes()).hexdigest()[:12]
    source = f"OTRS 6's {xml_path.name} (sha256 {digest}...)"
    by_name = {t.name: t for t in tables}
    order = {t.name: i for i, t in enumerate(tables)}
    files = {
        SCHEMA_DIR / f"{area}.py": render_file(
            doc, sorted((by_name[n] for n in names.split()), key=lambda t: order[t.name]), source
        )
        for area, (doc, names) in AREAS.items()
    }
    summary = [
        f"{len(tables)} OTRS 6 and Znuny 7 tables in {len(files)} files",
        *(f"cycle broken at {edge}" for edge in broken),
    ]
    return files, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--xml", type=Path, default=DEFAULT_XML, help="OTRS schema XML (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="compare with the files on disk instead of writing")
    args = parser.parse_args(argv)
    if not args.xml.exists():
        parser.error(f"{args.xml} not found: pass --xml with the path of OTRS's otrs-schema.xml")
    files, summary = generate(args.xml)
    if args.check:
        stale = [path for path, content in files.items() if not path.exists() or path.read_text() != content]
        for path in stale:
            print(f"differs from the XML: {path.relative_to(ROOT)}")
        return 1 if stale else 0
    for path, content in files.items():
        path.write_text(content)
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
