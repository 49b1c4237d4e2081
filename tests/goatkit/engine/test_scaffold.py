"""`gotrs modules scaffold <table>` writes a spec that validates, for OTRS tables and for a table of one's own."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from goatkit.db import make_engine
from goatkit.engine.scaffold import ScaffoldError, scaffold_module
from goatkit.specs import ModuleSpec
from modules.db import MIGRATIONS

GOTRS = str(Path(sys.executable).parent / "gotrs")


@pytest.fixture
def engine(db_url: str):
    engine = make_engine(db_url)
    MIGRATIONS.upgrade(engine)
    yield engine
    engine.dispose()


def test_queue_scaffold_has_lookups_valid_select_and_unique_name(engine) -> None:
    spec = ModuleSpec.model_validate(yaml.safe_load(scaffold_module(engine, "queue")))
    assert spec.module.name == "queue" and spec.module.table == "queue"
    assert spec.module.route_prefix == "/admin/queue"
    fields = {f.name: f for f in spec.fields}
    assert fields["group_id"].lookup_table == "permission_groups"
    assert (fields["group_id"].lookup_key, fields["group_id"].lookup_display) == ("id", "name")
    assert fields["valid_id"].type == "select" and fields["valid_id"].default == 1
    assert fields["name"].required and fields["name"].searchable and fields["name"].max_length == 200
    assert not fields["id"].show_in_form and not fields["create_time"].show_in_form
    assert not fields["comments"].required
    assert spec.validation.unique_fields == ["name"]
    assert spec.features["soft_delete"] is True


def test_string_primary_key_is_named(engine) -> None:
    spec = ModuleSpec.model_validate(yaml.safe_load(scaffold_module(engine, "customer_company")))
    assert spec.module.primary_key == "customer_id"
    assert {f.name: f for f in spec.fields}["customer_id"].show_in_form  # given by the admin, not generated


def test_every_otrs_table_with_a_single_key_scaffolds_to_a_valid_spec(engine) -> None:
    from modules.db.schema import metadata

    scaffolded = 0
    for table in metadata.sorted_tables:
        if len(table.primary_key.columns) != 1:
            continue
        ModuleSpec.model_validate(yaml.safe_load(scaffold_module(engine, table.name)))
        scaffolded += 1
    assert scaffolded > 80


def test_unknown_table_and_keyless_table_are_refused(engine) -> None:
    with pytest.raises(ScaffoldError, match=r"^table 'queues' does not exist; did you mean .*'queue'\?$"):
        scaffold_module(engine, "queues")
    with pytest.raises(ScaffoldError, match="needs a single-column primary key"):
        scaffold_module(engine, "group_user")


def test_command_writes_the_file_and_refuses_to_overwrite(tmp_path: Path, sqlite_url: str) -> None:
    env = {**os.environ, "GOTRS_DATABASE_URL": sqlite_url, "GOTRS_VAR_DIR": str(tmp_path / "var")}
    engine = make_engine(sqlite_url)
    MIGRATIONS.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE gadget (id INTEGER PRIMARY KEY, label VARCHAR(40) NOT NULL, price NUMERIC)"))
    engine.dispose()
    out = tmp_path / "gadget.yaml"
    run = [GOTRS, "modules", "scaffold", "gadget", "--output", str(out)]
    first = subprocess.run(run, env=env, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    spec = ModuleSpec.model_validate(yaml.safe_load(out.read_text()))
    assert [(f.name, f.type, f.required) for f in spec.fields] == [
        ("id", "int", False),
        ("label", "string", True),
        ("price", "decimal", False),
    ]
    again = subprocess.run(run, env=env, capture_output=True, text=True, check=False)
    assert again.returncode == 1 and "exists; pass --force" in again.stderr
    missing = subprocess.run(
        [GOTRS, "modules", "scaffold", "nope"], env=env, capture_output=True, text=True, check=False
    )
    assert missing.returncode == 1 and "error: table 'nope' does not exist" in missing.stderr
