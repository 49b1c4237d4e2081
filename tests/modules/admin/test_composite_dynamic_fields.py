"""Dynamic fields: the per-type configuration stored as OTRS's YAML, through the JSON API and the HTML form path."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from werkzeug.datastructures import MultiDict

from goatkit.engine import service
from goatkit.engine.extension import modules
from modules.db.schema import metadata
from tests.modules.admin import AdminApi, message
from tests.modules.admin.composite import Statements, capi, composite
from tests.modules.auth import Helpdesk

FIELD, VALUE = metadata.tables["dynamic_field"], metadata.tables["dynamic_field_value"]
MINE = ("dynamic_field.yaml", "notification_event.yaml", "postmaster_filter.yaml", "mail_account.yaml")
MINE += ("standard_attachment.yaml",)


def stored_config(desk: Helpdesk, field_id: int) -> str:
    with desk.engine.connect() as conn:
        raw = conn.execute(select(FIELD.c.config).where(FIELD.c.id == field_id)).scalar_one()
    return bytes(raw).decode()


def create(api: AdminApi, **values: Any) -> Any:
    body = {"label": "Label", "field_order": 1, "object_type": "Ticket"} | values
    return api.post("/dynamic_field", json=body)


__all__ = ["capi", "composite"]  # fixtures


def test_composite_modules_load_without_problems(composite: Helpdesk) -> None:
    with composite.app.app_context():
        snapshot = modules(composite.app).snapshot()
    problems = [str(p) for p in snapshot.problems if p.file.endswith(MINE)]
    assert problems == []
    assert {"dynamic_field", "notification_event", "postmaster_filter", "mail_account", "standard_attachment"} <= set(
        snapshot
    )


def test_dropdown_config_is_stored_as_otrs_yaml_and_read_back_as_an_object(capi: AdminApi, composite: Helpdesk) -> None:
    config = {"PossibleValues": {"hw": "Hardware", "sw": "Software"}, "DefaultValue": "sw", "PossibleNone": True}
    created = create(capi, name="Category", field_type="Dropdown", config=config)
    assert created.status_code == 201, created.get_json()
    row = created.get_json()
    assert stored_config(composite, row["id"]) == (
        "---\nDefaultValue: sw\nLink: ''\nLinkPreview: ''\nPossibleNone: '1'\nPossibleValues:\n  hw: Hardware\n"
        "  sw: Software\nTranslatableValues: '0'\nTreeView: '0'\n"
    )
    assert row["config"]["PossibleValues"] == {"hw": "Hardware", "sw": "Software"}
    assert "config_yaml" not in row

    patched = capi.patch(f"/dynamic_field/{row['id']}", json={"config": {"TreeView": 1}})
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["config"]["TreeView"] == "1"
    assert patched.get_json()["config"]["DefaultValue"] == "sw"  # a PATCH merges over the stored configuration


def test_each_type_gets_otrs_defaults(capi: AdminApi, composite: Helpdesk) -> None:
    expected = {
        "Text": "---\nDefaultValue: ''\nLink: ''\nLinkPreview: ''\nRegExList: []\n",
        "TextArea": "---\nCols: '42'\nDefaultValue: ''\nRegExList: []\nRows: '7'\n",
        "Checkbox": "---\nDefaultValue: '0'\n",
        "Date": "---\nDateRestriction: ''\nDefaultValue: '0'\nLink: ''\nLinkPreview: ''\nYearsInFuture: '5'\n"
        "YearsInPast: '5'\nYearsPeriod: '0'\n",
    }
    for index, (field_type, text) in enumerate(expected.items()):
        created = create(capi, name=f"Field{index}", field_type=field_type)
        assert created.status_code == 201, created.get_json()
        assert stored_config(composite, created.get_json()["id"]) == text


def test_yaml_written_by_otrs_round_trips_with_its_unknown_keys(capi: AdminApi, composite: Helpdesk) -> None:
    otrs = (
        "---\nDefaultValue: ''\nLink: ''\nLinkPreview: ''\nRegExList:\n- ErrorMessage: Digits only\n  Value: ^\\d+$\n"
    )
    otrs += "Vendor: kept\n"
    with composite.engine.begin() as conn:
        field_id = conn.execute(
            insert(FIELD).values(
                name="Legacy",
                label="Legacy",
                field_order=3,
                field_type="Text",
                object_type="Ticket",
                config=otrs.encode(),
                valid_id=1,
                create_by=1,
                change_by=1,
                create_time=datetime(2024, 1, 1),
                change_time=datetime(2024, 1, 1),
            )
        ).inserted_primary_key[0]
    got = capi.get(f"/dynamic_field/{field_id}").get_json()
    assert got["config"]["RegExList"] == [{"ErrorMessage": "Digits only", "Value": "^\\d+$"}]
    assert capi.patch(f"/dynamic_field/{field_id}", json={"config": {"Link": "https://x/"}}).status_code == 200
    assert stored_config(composite, field_id) == otrs.replace("Link: ''", "Link: https://x/", 1)


def test_validation_messages(capi: AdminApi, composite: Helpdesk) -> None:
    bad_name = create(capi, name="My-Field", field_type="Text")
    assert bad_name.status_code == 422
    assert bad_name.get_json()["errors"] == {
        "name": ["Name may contain only letters and digits (A-Z, a-z, 0-9), as OTRS requires."]
    }
    assert create(capi, name="Colour", field_type="Text").status_code == 201
    twice = create(capi, name="colour", field_type="Text").get_json()["errors"]
    assert twice == {"name": ["Another dynamic field is already named 'colour' (names ignore case)."]}
    cases = {
        "Dropdown": ({}, "A Dropdown field needs at least one possible value."),
        "TextArea": ({"Rows": "x"}, "Rows must be a whole number above 0."),
        "Text": ({"RegExList": [{"Value": "[[:alpha:]]"}]}, "RegEx '[[:alpha:]]': POSIX classes such as "
                 "[[:alpha:]] are Perl-only; write [A-Za-z] instead."),
        "Checkbox": ({"Rows": "3"}, "Rows does not apply to a Checkbox field."),
        "Multiselect": ({"PossibleValues": {"a": "A"}, "DefaultValue": ["b"]},
                        "DefaultValue 'b' is not one of the possible values (a)."),
        "Date": ({"DateRestriction": "Never"},
                 "DateRestriction must be empty, DisablePastDates or DisableFutureDates."),
    }  # fmt: skip
    for index, (field_type, (config, expected)) in enumerate(cases.items()):
        answer = create(capi, name=f"Bad{index}", field_type=field_type, config=config)
        assert answer.status_code == 422, (field_type, answer.get_json())
        assert answer.get_json()["errors"] == {"config": [expected]}
    typo = create(capi, name="Typo", field_type="Text", config={"Defaultvalue": "x"}).get_json()["errors"]
    assert typo["config"][0].startswith("Unknown configuration key 'Defaultvalue' for a Text field; known:")


def test_field_type_cannot_change_once_values_exist(capi: AdminApi, composite: Helpdesk) -> None:
    field_id = create(capi, name="Score", field_type="Text").get_json()["id"]
    assert capi.patch(f"/dynamic_field/{field_id}", json={"field_type": "TextArea"}).status_code == 200
    with composite.engine.begin() as conn:
        conn.execute(insert(VALUE).values(field_id=field_id, object_id=1, value_text="x"))
    refused = capi.patch(f"/dynamic_field/{field_id}", json={"field_type": "Text"})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"field_type": ["The type cannot change: this field already holds values."]}
    assert capi.delete(f"/dynamic_field/{field_id}").status_code == 204  # its values go first, as in OTRS
    with composite.engine.connect() as conn:
        assert conn.execute(select(VALUE.c.id).where(VALUE.c.field_id == field_id)).first() is None
    internal = capi.delete("/dynamic_field/1")
    assert (internal.status_code, message(internal)) == (
        409,
        "ProcessManagementProcessID is an internal field of OTRS and cannot be deleted.",
    )


def test_the_form_editor_is_parsed_from_a_multidict(composite: Helpdesk) -> None:
    form = MultiDict(
        [("name", "Product"), ("label", "Product"), ("field_order", "2"), ("field_type", "Multiselect"),
         ("object_type", "Ticket"), ("config_DefaultValue", "a, b"), ("config_PossibleNone", "1"),
         ("config_pv_key", "a"), ("config_pv_value", "Alpha"), ("config_pv_key", "b"), ("config_pv_value", "Beta"),
         ("config_pv_key", ""), ("config_pv_value", "")]
    )  # fmt: skip
    with composite.app.test_request_context(), composite.engine.begin() as conn:
        module = modules(composite.app).snapshot()["dynamic_field"]
        pk = service.create(conn, module, form, source="form", user_id=1)
        html = str(module_hook_html(module, conn, pk))
    assert stored_config(composite, pk) == (
        "---\nDefaultValue:\n- a\n- b\nPossibleNone: '1'\nPossibleValues:\n  a: Alpha\n  b: Beta\n"
        "TranslatableValues: '0'\nTreeView: '0'\n"
    )
    assert 'name="config_pv_key"' in html and 'value="Alpha"' in html


def module_hook_html(module: Any, conn: Any, pk: int) -> Any:
    from goatkit.engine.hooks import hooks_of
    from goatkit.engine.query import get_row

    row = get_row(conn, module, pk)
    return hooks_of(module)[0].form_html(conn, module, row, {})


def test_a_page_read_costs_one_statement_for_the_rows(capi: AdminApi, composite: Helpdesk) -> None:
    for index in range(5):
        create(capi, name=f"Many{index}", field_type="Text")
    with Statements(composite.engine) as statements:
        body = capi.get("/dynamic_field?page_size=50").get_json()
    assert len(body["data"]) == 7 and all(isinstance(row["config"], dict) for row in body["data"])
    assert sum("FROM dynamic_field" in s for s in statements) <= 2  # the page and its count; config needs none
