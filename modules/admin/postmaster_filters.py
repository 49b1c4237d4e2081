"""Postmaster filters (``modules/postmaster_filter.yaml``): a filter is every ``postmaster_filter`` row of one name.

OTRS's table has no key: each row is one ``Match`` (a header and a Perl regex, ``f_not`` negates it) or one ``Set``
(an ``X-OTRS-*`` header and the value to give it) of the filter named ``f_name``, and every row repeats ``f_stop``
("stop after match").  The module's record is the name (``primary_key: f_name``; the engine lists the distinct
names, see ``ResolvedModule.grouped``).  The hook ``postmaster_filter_rules``:

* takes ``matches`` and ``sets`` as JSON lists (``[{"header": "From", "value": "@example\\\\.com$", "not": false}]``)
  or from the form's rows (``match_header``/``match_value``/``match_not``, ``set_header``/``set_value``);
* checks header names (RFC 5322 field names; ``Set`` only ``X-OTRS-*`` headers, which are all the postmaster reads)
  and that each match value is a regex Python reads as Perl does (:mod:`modules.admin.regexes`; a value starting with
  ``EMAILADDRESS:`` is compared as an address, as in OTRS, not as a regex);
* replaces all the rows of the filter on save, in the write's transaction, and renames them with the filter;
* adds ``matches`` and ``sets`` to rows read for answers with one query for the whole page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup
from sqlalchemy import Connection, delete, insert, select

from goatkit.engine.forms import FormErrors
from goatkit.engine.hooks import ModuleHook, WriteContext, register
from goatkit.engine.model import ResolvedModule
from modules.admin.partials import partial
from modules.admin.regexes import regex_problem
from modules.db.schema import metadata

FILTER = metadata.tables["postmaster_filter"]
HEADER = re.compile(r"[!-9;-~]+")  # printable US-ASCII except ":" (RFC 5322 field-name)
MAX_TEXT = 200  # f_key and f_value are VARCHAR(200)
Rule = dict[str, Any]


class PostmasterFilterRules(ModuleHook):
    """The match and set rows of a postmaster filter; see the module docstring."""

    def validate(self, ctx: WriteContext) -> FormErrors:
        errors: FormErrors = {}
        for kind in ("matches", "sets"):
            rules = _given(ctx.data, kind)
            if rules is None and ctx.old is not None:
                continue  # a partial update leaves them alone
            checked, problems = _check(kind, rules or [])
            if problems:
                errors[kind] = problems
            setattr(ctx, f"_{kind}", checked)
        return errors

    def after_write(self, ctx: WriteContext) -> None:
        name = ctx.values.get("f_name", ctx.pk)
        stop = ctx.values.get("f_stop", (ctx.old or {}).get("f_stop")) or 0
        matches, sets = getattr(ctx, "_matches", None), getattr(ctx, "_sets", None)
        if matches is None and sets is None:
            return
        current = _rules(ctx.conn, [name]).get(name, {"matches": [], "sets": []})
        matches = current["matches"] if matches is None else matches
        sets = current["sets"] if sets is None else sets
        ctx.conn.execute(delete(FILTER).where(FILTER.c.f_name == name))
        rows = [_row(name, stop, "Match", rule) for rule in matches] + [_row(name, stop, "Set", r) for r in sets]
        ctx.conn.execute(insert(FILTER), rows)

    def extend_rows(self, conn: Connection, module: ResolvedModule, rows: list[dict[str, Any]]) -> None:
        found = _rules(conn, [row["f_name"] for row in rows if "f_name" in row])
        for row in rows:
            rules: dict[str, list[Rule]] = found.get(row.get("f_name"), {"matches": [], "sets": []})
            row.update(rules)

    def form_html(
        self, conn: Connection, module: ResolvedModule, record: Mapping[str, Any] | None, errors: FormErrors
    ) -> Markup:
        rules = _rules(conn, [record["f_name"]]).get(record["f_name"], {}) if record else {}
        blank = {"header": "", "value": "", "not": False}
        return partial(
            "admin/postmaster_filter_rules.html",
            matches=[*rules.get("matches", []), blank, blank],
            sets=[*rules.get("sets", []), blank, blank],
            errors=errors,
        )


def _given(data: Mapping[str, Any], kind: str) -> list[Any] | None:
    """The rules sent: a JSON list, else the form's rows (blank rows dropped), else ``None``."""
    if kind in data and isinstance(data[kind], list):
        return list(data[kind])
    if not hasattr(data, "getlist"):
        return None
    prefix = kind[:-2] if kind == "matches" else kind[:-1]
    headers, values = data.getlist(f"{prefix}_header"), data.getlist(f"{prefix}_value")
    negated = data.getlist(f"{prefix}_not") or ["0"] * len(headers)
    rows = zip(headers, values, negated, strict=False)
    return [{"header": h, "value": v, "not": n == "1"} for h, v, n in rows if h.strip() or v.strip()]


def _check(kind: str, rules: list[Any]) -> tuple[list[Rule], list[str]]:
    what = "match" if kind == "matches" else "set"
    if not rules:
        return [], [f"A filter needs at least one {what} rule."]
    checked: list[Rule] = []
    for number, rule in enumerate(rules, 1):
        if not isinstance(rule, dict) or not isinstance(rule.get("header"), str):
            return checked, [f"{what.capitalize()} rule {number} must be an object with header and value."]
        header, value = rule["header"].strip(), str(rule.get("value") or "")
        problem = _rule_problem(what, header, value)
        if problem:
            return checked, [f"{what.capitalize()} rule {number} ({header or 'no header'}): {problem}"]
        checked.append({"header": header, "value": value, "not": bool(rule.get("not")) and what == "match"})
    return checked, []


def _rule_problem(what: str, header: str, value: str) -> str:
    if not HEADER.fullmatch(header):
        return "the header name must be printable ASCII without spaces or colons."
    if len(header) > MAX_TEXT or len(value) > MAX_TEXT:
        return f"header and value must be at most {MAX_TEXT} characters."
    if what == "set":
        ours = header.lower().startswith("x-otrs-")
        return "" if ours else "only X-OTRS-* headers can be set (they are what the postmaster reads)."
    if not value:
        return "the value (a regular expression) is required."
    return "" if value.startswith("EMAILADDRESS:") else regex_problem(value)


def _row(name: str, stop: Any, kind: str, rule: Rule) -> dict[str, Any]:
    return {
        "f_name": name,
        "f_stop": 1 if stop else 0,
        "f_type": kind,
        "f_key": rule["header"],
        "f_value": rule["value"],
        "f_not": 1 if rule.get("not") else 0,
    }


def _rules(conn: Connection, names: list[Any]) -> dict[Any, dict[str, list[Rule]]]:
    """The rules of the filters ``names``, in one query."""
    found: dict[Any, dict[str, list[Rule]]] = {}
    if not names:
        return found
    cols = (FILTER.c.f_name, FILTER.c.f_type, FILTER.c.f_key, FILTER.c.f_value, FILTER.c.f_not)
    for name, kind, key, value, negated in conn.execute(select(*cols).where(FILTER.c.f_name.in_(set(names)))):
        rules = found.setdefault(name, {"matches": [], "sets": []})
        if kind == "Match":
            rules["matches"].append({"header": key, "value": value, "not": bool(negated)})
        else:
            rules["sets"].append({"header": key, "value": value})
    return found


register("postmaster_filter_rules", PostmasterFilterRules())
