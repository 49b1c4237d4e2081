"""Conversion and validation of submitted values: every field type, limits from spec and column, form vs JSON."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    create_engine,
)
from sqlalchemy.types import TypeEngine
from werkzeug.datastructures import MultiDict

from goatkit.engine.forms import (
    FormInvalid,
    check_patterns,
    check_unique,
    clean,
    defaults_for,
    pattern_problems,
    schema_for,
)
from goatkit.engine.model import Lookup, ResolvedField, ResolvedModule
from goatkit.passwords import verify_password
from goatkit.specs.module import FIELD_TYPES, ModuleSpec

VALID = {"value": 1, "label": "@admin.statuses.valid|Valid"}, {"value": 2, "label": "@admin.statuses.invalid|Invalid"}


def build(
    fields: list[dict[str, Any]],
    columns: list[Column[Any]],
    *,
    validation: dict[str, Any] | None = None,
    metadata: MetaData | None = None,
) -> ResolvedModule:
    """A resolved module over table ``thing`` (``id`` plus ``columns``); virtual fields get no column."""
    table = Table("thing", metadata or MetaData(), Column("id", Integer, primary_key=True), *columns)
    spec = ModuleSpec.model_validate(
        {
            "module": {"name": "thing", "singular": "@thing|Thing", "table": "thing"},
            "fields": [{"name": "id", "type": "int", "show_in_form": False}, *fields],
            "validation": validation or {},
        }
    )
    resolved = tuple(ResolvedField(f, None if f.virtual else table.c[f.db_column or f.name]) for f in spec.fields)
    return ResolvedModule(spec=spec, source=Path("thing.yaml"), table=table, primary_key=table.c.id, fields=resolved)


def single(field: dict[str, Any], column_type: TypeEngine[Any] | type[TypeEngine[Any]] = Text) -> ResolvedModule:
    """A module with one editable field ``v`` (nullable column of ``column_type``) plus ``field``'s keys."""
    return build([{"name": "v", **field}], [Column("v", column_type)])


def convert(module: ResolvedModule, value: Any, **kw: Any) -> Any:
    return clean(module, {"v": value}, "update", source=kw.pop("source", "json"), **kw)["v"]


def refusal(module: ResolvedModule, value: Any, *, source: str = "json", action: str = "update") -> list[str]:
    with pytest.raises(FormInvalid) as raised:
        clean(module, {"v": value}, action, source=source)  # type: ignore[arg-type]
    return raised.value.errors["v"]


# --- every type: good input converts, bad input is refused with its sentence ----------------------------------

GOOD: list[tuple[dict[str, Any], Any, Any, Any]] = [
    ({"type": "json"}, Text, '{"a": [1, "b"]}', {"a": [1, "b"]}),
    ({"type": "string"}, String(50), "Hello", "Hello"),
    ({"type": "text"}, Text, "line 1\nline 2", "line 1\nline 2"),
    ({"type": "textarea"}, Text, "  spaced  ", "  spaced  "),
    ({"type": "notes"}, Text, "", ""),
    ({"type": "email"}, String(100), "agent@example.com", "agent@example.com"),
    ({"type": "url"}, String(200), "https://example.com/a?b=1", "https://example.com/a?b=1"),
    ({"type": "url"}, String(200), "http://intranet:8080/x", "http://intranet:8080/x"),
    ({"type": "phone"}, String(50), "+49 (0)30 123-456", "+49 (0)30 123-456"),
    ({"type": "tel"}, String(50), "030/123.45", "030/123.45"),
    ({"type": "color"}, String(25), "#1a2B3c", "#1a2B3c"),
    ({"type": "color"}, String(25), "#abc", "#abc"),
    ({"type": "int"}, Integer, "42", 42),
    ({"type": "integer"}, Integer, -7, -7),
    ({"type": "range", "min": 0, "max": 10}, Integer, " 10 ", 10),
    ({"type": "int"}, Integer, 3.0, 3),
    ({"type": "int"}, Integer, "", None),
    ({"type": "decimal"}, Numeric(10, 2), "12.50", Decimal("12.50")),
    ({"type": "decimal"}, Numeric(10, 2), 3, Decimal("3")),
    ({"type": "float"}, Float, "1.5e3", 1500.0),
    ({"type": "number"}, Float, 2.25, 2.25),
    ({"type": "bool"}, Boolean, True, True),
    ({"type": "boolean"}, Boolean, "false", False),
    ({"type": "checkbox"}, SmallInteger, "on", 1),
    ({"type": "checkbox"}, SmallInteger, 0, 0),
    ({"type": "checkbox"}, String(1), "yes", "1"),
    ({"type": "radio", "options": [{"value": "a", "label": "A"}, {"value": "b"}]}, String(10), "b", "b"),
    ({"type": "select", "options": VALID}, Integer, "2", 2),
    ({"type": "select", "options": VALID}, Integer, 1, 1),
    ({"type": "int", "options": VALID}, SmallInteger, "2", 2),  # the Go GOTRS valid_id field
    ({"type": "multiselect", "options": [{"value": "x"}, {"value": "y"}]}, Text, ["y", "x"], "y,x"),
    ({"type": "multiselect", "options": VALID}, String(20), ["1", 2], "1,2"),
    ({"type": "multiselect", "options": VALID}, String(20), [], ""),
    ({"type": "date"}, Date, "2024-05-01", dt.date(2024, 5, 1)),
    ({"type": "date"}, DateTime, "2024-05-01", dt.datetime(2024, 5, 1)),  # OTRS's DATE columns are timestamps
    ({"type": "datetime"}, DateTime, "2024-05-01T09:30", dt.datetime(2024, 5, 1, 9, 30)),
    ({"type": "datetime"}, DateTime, "2024-05-01 09:30:15", dt.datetime(2024, 5, 1, 9, 30, 15)),
    ({"type": "datetime"}, DateTime, "2024-05-01T09:30:00+02:00", dt.datetime(2024, 5, 1, 7, 30)),
    ({"type": "datetime"}, DateTime, "2024-05-01T09:30:00Z", dt.datetime(2024, 5, 1, 9, 30)),
    ({"type": "time"}, Time, "09:30", dt.time(9, 30)),
    ({"type": "time"}, Time, "23:59:59", dt.time(23, 59, 59)),
    ({"type": "file"}, Text, "", None),
    ({"type": "files"}, Text, [], None),
]


@pytest.mark.parametrize(("field", "column_type", "given", "expected"), GOOD)
def test_each_type_converts_good_input(field: dict[str, Any], column_type: Any, given: Any, expected: Any) -> None:
    values = clean(single(field, column_type), {"v": given}, "update", source="json")
    assert values.get("v") == expected
    assert type(values.get("v")) is type(expected)


BAD: list[tuple[dict[str, Any], Any, Any, str]] = [
    ({"type": "json"}, Text, "[1,", "Must be a JSON object or list."),
    ({"type": "json"}, Text, 7, "Must be a JSON object or list."),
    ({"type": "json"}, Text, "x" * 1_000_001, "Must be at most 1000000 characters."),
    ({"type": "string"}, String(50), 12, "Must be text."),
    ({"type": "string"}, String(50), ["a"], "Must be text."),
    ({"type": "text"}, Text, "a\x00b", "Must not contain NUL characters."),
    ({"type": "email"}, String(100), "not an email", "Must be an email address."),
    ({"type": "url"}, String(200), "javascript:alert(1)", "Must be a URL starting with http:// or https://."),
    ({"type": "url"}, String(200), "example.com", "Must be a URL starting with http:// or https://."),
    ({"type": "phone"}, String(50), "call me", "Must be a phone number (digits, spaces and + ( ) - . /)."),
    ({"type": "tel"}, String(50), "+", "Must be a phone number (digits, spaces and + ( ) - . /)."),
    ({"type": "color"}, String(25), "red", "Must be a color like #1a2b3c or #abc."),
    ({"type": "color"}, String(25), "#12345", "Must be a color like #1a2b3c or #abc."),
    ({"type": "int"}, Integer, "4.5", "Must be a whole number."),
    ({"type": "integer"}, Integer, 4.5, "Must be a whole number."),
    ({"type": "int"}, Integer, "1_000", "Must be a whole number."),
    ({"type": "int"}, Integer, "١٢", "Must be a whole number."),
    ({"type": "int"}, Integer, True, "Must be a whole number."),
    ({"type": "range", "min": 1, "max": 10}, Integer, 0, "Must be at least 1."),
    ({"type": "range", "min": 1, "max": 10}, Integer, "11", "Must be at most 10."),
    ({"type": "decimal"}, Numeric(10, 2), "abc", "Must be a number."),
    ({"type": "decimal"}, Numeric(10, 2), "NaN", "Must be a number."),
    ({"type": "decimal"}, Numeric(10, 2), "1.234", "Must have at most 2 decimal places."),
    ({"type": "decimal"}, Numeric(5, 2), "1000", "Must be between -999.99 and 999.99."),
    ({"type": "float", "min": 0.5}, Float, 0.25, "Must be at least 0.5."),
    ({"type": "number"}, Float, "1e400", "Must be a number."),
    ({"type": "number"}, Float, False, "Must be a number."),
    ({"type": "bool"}, Boolean, "maybe", "Must be true or false."),
    ({"type": "boolean"}, Boolean, [], "Must be true or false."),
    ({"type": "checkbox"}, SmallInteger, 2, "Must be true or false."),
    ({"type": "select", "options": VALID}, Integer, "3", "Must be one of: 1 (Valid), 2 (Invalid)."),
    ({"type": "select", "options": VALID}, Integer, "Valid", "Must be one of: 1 (Valid), 2 (Invalid)."),
    ({"type": "int", "options": VALID}, SmallInteger, 3, "Must be one of: 1 (Valid), 2 (Invalid)."),
    ({"type": "int", "validation": "^[0-9]{4}$"}, Integer, "123", "Must match ^[0-9]{4}$."),
    ({"type": "radio", "options": [{"value": "a"}, {"value": "b"}]}, String(5), "c", "Must be one of: a, b."),
    ({"type": "multiselect", "options": [{"value": "x"}]}, Text, "x", "Must be a list."),
    ({"type": "multiselect", "options": [{"value": "x"}]}, Text, ["x", "z"], "Must be one of: x."),
    ({"type": "multiselect"}, Text, ["a,b"], "Values must not contain commas."),
    ({"type": "date"}, Date, "01/05/2024", "Must be a date (YYYY-MM-DD)."),
    ({"type": "date"}, Date, "2024-02-30", "Must be a date (YYYY-MM-DD)."),
    ({"type": "date"}, Date, "2024-05-01T10:00", "Must be a date (YYYY-MM-DD)."),
    ({"type": "datetime"}, DateTime, "yesterday", "Must be a date and time (YYYY-MM-DD HH:MM)."),
    ({"type": "datetime"}, DateTime, 1714550000, "Must be a date and time (YYYY-MM-DD HH:MM)."),
    ({"type": "time"}, Time, "25:00", "Must be a time (HH:MM)."),
    ({"type": "file"}, Text, "report.pdf", 'V must be a file: {"name": "...", "content_base64": "..."}.'),
    ({"type": "files"}, Text, ["a.txt"], 'V must be a file: {"name": "...", "content_base64": "..."}.'),
]


@pytest.mark.parametrize(("field", "column_type", "given", "message"), BAD)
def test_each_type_refuses_bad_input_with_its_sentence(
    field: dict[str, Any], column_type: Any, given: Any, message: str
) -> None:
    assert refusal(single(field, column_type), given) == [message]


def test_every_spec_type_is_covered() -> None:
    # password: test_passwords_are_hashed_and_an_empty_one_keeps_the_stored_hash
    assert {f["type"] for f, *_ in GOOD} | {"password"} == FIELD_TYPES
    assert {f["type"] for f, *_ in BAD} | {"textarea", "notes", "password"} == FIELD_TYPES


# --- huge and hostile values ---------------------------------------------------------------------------------


def test_huge_values_are_refused_cleanly() -> None:
    ten_mb = "x" * 10_000_000
    assert refusal(single({"type": "text"}, Text), ten_mb) == ["Must be at most 1000000 characters."]
    assert refusal(single({"type": "string", "validation": "^(a+)+$"}, String(200)), ten_mb) == [
        "Must be at most 200 characters."
    ]
    assert refusal(single({"type": "int"}, Integer), 10**30) == ["Must be between -2147483648 and 2147483647."]
    assert refusal(single({"type": "int"}, Integer), str(10**30)) == ["Must be between -2147483648 and 2147483647."]
    assert refusal(single({"type": "int"}, Integer), "9" * 10_000) == ["Must be a whole number."]
    assert refusal(single({"type": "decimal"}, Numeric(10, 2)), "9" * 10_000) == ["Must be a number."]
    assert refusal(single({"type": "date"}, Date), ten_mb) == ["Must be a date (YYYY-MM-DD)."]
    assert refusal(single({"type": "password"}, String(128)), ten_mb) == ["Must be at most 1024 characters."]
    virtual = build([{"name": "v", "type": "int", "virtual": True}], [])
    assert refusal(virtual, 2**63) == ["Must be between -9223372036854775808 and 9223372036854775807."]


@pytest.mark.parametrize(
    "value", ["'; DROP TABLE thing; --", "1 OR 1=1", "%_\\", "<script>alert(1)</script>", "Robert'); --"]
)
def test_sql_and_markup_looking_strings_pass_through_as_data(value: str) -> None:
    assert convert(single({"type": "string"}, String(200)), value) == value


# --- form vs JSON --------------------------------------------------------------------------------------------


def flags() -> ResolvedModule:
    return build(
        [{"name": "name", "type": "string"}, {"name": "active", "type": "checkbox", "default": True}],
        [Column("name", String(50)), Column("active", SmallInteger, nullable=False)],
    )


def test_an_absent_checkbox_is_false_on_html_forms_and_not_given_in_json() -> None:
    module = flags()
    assert clean(module, {"name": "a", "csrf_token": "t"}, "update", source="form") == {"name": "a", "active": 0}
    assert clean(module, {"name": "a"}, "create", source="form") == {"name": "a", "active": 0}
    assert clean(module, {"name": "a", "active": "on"}, "update", source="form") == {"name": "a", "active": 1}
    assert clean(module, {"name": "a"}, "update", source="json") == {"name": "a"}
    assert clean(module, {"name": "a"}, "create", source="json") == {"name": "a", "active": 1}  # spec default
    assert clean(module, {"active": False}, "update", source="json") == {"active": 0}


def test_multiselects_read_every_value_of_a_form_and_absent_means_none_selected() -> None:
    module = single({"type": "multiselect", "options": [{"value": "x"}, {"value": "y"}]}, Text)
    assert convert(module, None, source="form") is None
    assert clean(module, MultiDict([("v", "x"), ("v", "y")]), "update", source="form") == {"v": "x,y"}
    assert clean(module, MultiDict([("csrf_token", "t")]), "update", source="form") == {"v": ""}


def test_unknown_and_uneditable_keys_are_errors_in_json_and_ignored_in_forms() -> None:
    module = build(
        [{"name": "name", "type": "string"}, {"name": "code", "type": "string", "readonly": True}],
        [Column("name", String(50)), Column("code", String(10))],
    )
    data = {"nmae": "x", "id": 4, "code": "c", "csrf_token": "t", "name": "ok"}
    with pytest.raises(FormInvalid) as raised:
        clean(module, data, "update", source="json")
    assert raised.value.errors == {
        "nmae": ["Unknown field; did you mean 'name'?"],
        "id": ["Cannot be set: this field is not editable."],
        "code": ["Cannot be set: this field is not editable."],
        "csrf_token": ["Unknown field."],
    }
    assert clean(module, data, "update", source="form") == {"name": "ok"}


# --- required, partial update, defaults ----------------------------------------------------------------------


def people() -> ResolvedModule:
    return build(
        [
            {"name": "name", "type": "string", "label": "@admin.name|Name", "required": True},
            {"name": "login", "type": "string"},  # NOT NULL without default: required on create
            {"name": "comments", "type": "text", "label": "Comments"},  # validation.required_fields
            {"name": "valid_id", "type": "select", "options": VALID, "default": 1, "show_in_form": False},
            {"name": "title", "type": "string", "default": "Mx"},
        ],
        [
            Column("name", String(200), nullable=False),
            Column("login", String(50), nullable=False),
            Column("comments", String(250)),
            Column("valid_id", SmallInteger, nullable=False),
            Column("title", String(50), nullable=False),
        ],
        validation={"required_fields": ["comments"]},
    )


def test_required_fields_on_create() -> None:
    with pytest.raises(FormInvalid) as raised:
        clean(people(), {"name": "  ", "comments": ""}, "create", source="json")
    assert raised.value.errors == {
        "name": ["Name is required."],
        "login": ["Login is required."],
        "comments": ["Comments is required."],
    }


def test_create_fills_spec_defaults_including_fields_the_form_hides() -> None:
    values = clean(people(), {"name": "Ann", "login": "ann", "comments": "c"}, "create", source="json")
    assert values == {"name": "Ann", "login": "ann", "comments": "c", "valid_id": 1, "title": "Mx"}


def test_update_changes_only_the_given_fields_and_never_empties_a_required_one() -> None:
    module = people()
    assert clean(module, {"comments": "new"}, "update", source="json") == {"comments": "new"}
    assert clean(module, {}, "update", source="json") == {}
    with pytest.raises(FormInvalid) as raised:
        clean(module, {"name": "", "login": None, "comments": " "}, "update", source="json")
    assert raised.value.errors == {
        "name": ["Name is required."],
        "login": ["Login is required."],
        "comments": ["Comments is required."],
    }


def test_optional_fields_may_be_emptied() -> None:
    module = build(
        [{"name": "mail", "type": "email", "min_length": 5}, {"name": "n", "type": "int"}],
        [Column("mail", String(100)), Column("n", Integer)],
    )
    assert clean(module, {"mail": "", "n": ""}, "update", source="form") == {"mail": "", "n": None}
    assert clean(module, {"mail": None, "n": None}, "update", source="json") == {"mail": None, "n": None}


def test_defaults_for_a_create_form() -> None:
    module = build(
        [
            {"name": "color", "type": "color", "default": "#000000"},
            {"name": "pw", "type": "password", "default": "secret"},
            {"name": "later", "type": "string", "default": {"lambda": "return 'x';"}},
            {"name": "hidden", "type": "int", "default": 1, "show_in_form": False},
            {"name": "plain", "type": "string"},
        ],
        [Column(n, String(50)) for n in ("color", "pw", "later", "hidden", "plain")],
    )
    assert defaults_for(module) == {"color": "#000000"}
    assert clean(module, {}, "create", source="json") == {"color": "#000000", "hidden": 1}
    assert defaults_for(module, resolve=lambda spec: f"<{spec.name}>") == {
        "color": "<color>",
        "later": "<later>",
        "plain": "<plain>",
    }


# --- passwords -----------------------------------------------------------------------------------------------


def test_passwords_are_hashed_and_an_empty_one_keeps_the_stored_hash() -> None:
    module = build(
        [{"name": "login", "type": "string"}, {"name": "pw", "type": "password", "min_length": 8}],
        [Column("login", String(50)), Column("pw", String(128), nullable=False)],
    )
    values = clean(module, {"login": "ann", "pw": "correct horse"}, "create", source="form")
    assert values["pw"].startswith("$argon2id$") and verify_password("correct horse", values["pw"])
    assert clean(module, {"login": "ann", "pw": ""}, "update", source="form") == {"login": "ann"}
    assert clean(module, {"pw": None}, "update", source="json") == {}
    with pytest.raises(FormInvalid) as raised:
        clean(module, {"login": "ann", "pw": ""}, "create", source="form")
    assert raised.value.errors == {"pw": ["Pw is required."]}
    with pytest.raises(FormInvalid) as raised:
        clean(module, {"pw": "short"}, "update", source="json")
    assert raised.value.errors == {"pw": ["Must be at least 8 characters."]}
    assert "pw" not in defaults_for(module)


# --- limits from the spec and from the column ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("column_type", "low", "high"),
    [(SmallInteger, -32768, 32767), (Integer, -(2**31), 2**31 - 1), (BigInteger, -(2**63), 2**63 - 1)],
)
def test_integer_columns_bound_their_values(column_type: Any, low: int, high: int) -> None:
    module = single({"type": "int"}, column_type)
    assert convert(module, low) == low and convert(module, str(high)) == high
    assert refusal(module, high + 1) == [f"Must be between {low} and {high}."]
    assert refusal(module, low - 1) == [f"Must be between {low} and {high}."]


def test_string_length_is_the_tighter_of_spec_and_column() -> None:
    assert refusal(single({"type": "string"}, String(5)), "abcdef") == ["Must be at most 5 characters."]
    assert refusal(single({"type": "string", "max_length": 3}, String(5)), "abcd") == ["Must be at most 3 characters."]
    assert refusal(single({"type": "string", "min_length": 2}, String(5)), "a") == ["Must be at least 2 characters."]
    assert convert(single({"type": "string"}, String(5)), "héllo") == "héllo"  # characters, not bytes
    joined = single({"type": "multiselect", "options": [{"value": "abc"}, {"value": "def"}]}, String(5))
    assert refusal(joined, ["abc", "def"]) == ["Too many choices: they must fit in 5 characters."]


def test_patterns_must_match_the_whole_value() -> None:
    module = build(
        [{"name": "v", "type": "string", "validation": "[a-z]+"}, {"name": "code", "type": "string"}],
        [Column("v", String(50)), Column("code", String(50))],
        validation={"field_patterns": {"code": "^[A-Z]{3}$"}},
    )
    assert clean(module, {"v": "abc", "code": "ABC"}, "update", source="json") == {"v": "abc", "code": "ABC"}
    with pytest.raises(FormInvalid) as raised:
        clean(module, {"v": "abc1", "code": "ABCD"}, "update", source="json")
    assert raised.value.errors == {"v": ["Must match [a-z]+."], "code": ["Must match ^[A-Z]{3}$."]}
    assert refusal(single({"type": "string", "pattern": "^[a-z]+$"}, Text), "ab\n") == ["Must match ^[a-z]+$."]


def test_lookup_fields_are_typed_by_the_key_column() -> None:
    metadata = MetaData()
    valid = Table("valid", metadata, Column("id", SmallInteger, primary_key=True), Column("name", String(50)))
    module = build([{"name": "valid_id", "type": "string", "lookup_table": "valid"}], [Column("valid_id", Integer)])
    field = module.field_named("valid_id")
    lookup = Lookup(table=valid, key=valid.c.id, display=valid.c.name)
    module = ResolvedModule(
        spec=module.spec,
        source=module.source,
        table=module.table,
        primary_key=module.primary_key,
        fields=(module.fields[0], ResolvedField(field.spec, field.column, lookup)),
    )
    assert clean(module, {"valid_id": "2"}, "update", source="form") == {"valid_id": 2}
    with pytest.raises(FormInvalid) as raised:
        clean(module, {"valid_id": "40000"}, "update", source="form")
    assert raised.value.errors == {"valid_id": ["Must be between -32768 and 32767."]}
    company = Table("company", metadata, Column("customer_id", String(150), primary_key=True))
    module = build([{"name": "cid", "type": "select", "lookup_table": "company"}], [Column("cid", Integer)])
    field = module.field_named("cid")
    lookup = Lookup(table=company, key=company.c.customer_id, display=company.c.customer_id)
    module = ResolvedModule(
        spec=module.spec,
        source=module.source,
        table=module.table,
        primary_key=module.primary_key,
        fields=(module.fields[0], ResolvedField(field.spec, field.column, lookup)),
    )
    assert clean(module, {"cid": "ACME"}, "update", source="json") == {"cid": "ACME"}
    with pytest.raises(FormInvalid) as raised:
        clean(module, {"cid": "x" * 10_000_000}, "update", source="json")
    assert raised.value.errors == {"cid": ["Must be at most 150 characters."]}


# --- schema, hooks, spec checks ------------------------------------------------------------------------------


def test_a_body_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(FormInvalid) as raised:
        clean(people(), ["name"], "create", source="json")  # type: ignore[arg-type]
    assert raised.value.errors == {"_schema": ["Expected an object of field values."]}


def test_the_schema_is_built_once_per_module_object_and_action() -> None:
    module = people()
    assert schema_for(module, "create") is schema_for(module, "create")
    assert schema_for(module, "create") is not schema_for(module, "update")
    assert sorted(schema_for(module, "create").fields) == ["comments", "login", "name", "title"]
    assert schema_for(people(), "create") is not schema_for(module, "create")


def test_rules_hook_sees_converted_values_including_virtual_fields() -> None:
    module = build(
        [{"name": "n", "type": "int"}, {"name": "confirm", "type": "int", "virtual": True}], [Column("n", Integer)]
    )
    seen: list[dict[str, Any]] = []

    def rules(mod: ResolvedModule, values: dict[str, Any], action: str) -> dict[str, list[str]]:
        seen.append(dict(values))
        return {} if values.get("n") == values.get("confirm") else {"confirm": ["Must equal N."]}

    assert clean(module, {"n": "3", "confirm": "3"}, "update", source="form", rules=rules) == {"n": 3}
    assert seen == [{"n": 3, "confirm": 3}]
    with pytest.raises(FormInvalid) as raised:
        clean(module, {"n": "3", "confirm": "4"}, "update", source="form", rules=rules)
    assert raised.value.errors == {"confirm": ["Must equal N."]}


def test_check_patterns_reports_bad_regexes_and_unknown_names_with_their_key() -> None:
    spec = ModuleSpec.model_validate(
        {
            "module": {"name": "thing", "table": "thing"},
            "fields": [{"name": "id", "type": "int"}, {"name": "name", "validation": "^[a-"}],
            "validation": {"unique_fields": ["nmae"], "field_patterns": {"name": "(", "id": "^[0-9]+$"}},
        }
    )
    assert [loc for loc, _ in pattern_problems(spec)] == [
        ("fields", 1, "validation"),
        ("validation", "unique_fields"),
        ("validation", "field_patterns", "name"),
    ]
    assert check_patterns(spec) == [
        "fields.1.validation: not a valid regular expression: unterminated character set at position 1",
        "validation.unique_fields: unknown field 'nmae'; did you mean 'name'?",
        "validation.field_patterns.name: not a valid regular expression: missing ), unterminated subpattern at "
        "position 0",
    ]


# --- uniqueness against the database -------------------------------------------------------------------------


def test_check_unique(db_url: str) -> None:
    metadata = MetaData()
    module = build(
        [{"name": "name", "type": "string", "unique": True}, {"name": "code", "type": "string"}],
        [Column("name", String(50)), Column("code", String(10))],
        validation={"unique_fields": ["code", "name"]},
        metadata=metadata,
    )
    engine = create_engine(db_url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            module.table.insert(), [{"id": 1, "name": "High", "code": "H"}, {"id": 2, "name": "Low", "code": None}]
        )
        assert check_unique(conn, module, {"name": "High", "code": "H"}) == {
            "name": ["Already used by another Thing."],
            "code": ["Already used by another Thing."],
        }
        assert check_unique(conn, module, {"name": "High", "code": "H"}, exclude_pk=1) == {}
        assert check_unique(conn, module, {"name": "High"}, exclude_pk=2) == {
            "name": ["Already used by another Thing."]
        }
        assert check_unique(conn, module, {"name": "high", "code": None}) == {}  # SQLite compares case-sensitively
        assert check_unique(conn, module, {"name": "'; DROP TABLE thing; --"}) == {}
        assert check_unique(conn, module, {}) == {}
    engine.dispose()
