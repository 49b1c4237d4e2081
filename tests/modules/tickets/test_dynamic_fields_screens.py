"""Where a dynamic field shows: the ``Screens`` key of its configuration, edited in the dynamic field admin (JSON
and the HTML form), checked, stored in OTRS's YAML only when it shows somewhere."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from goatkit.engine import service
from goatkit.engine.extension import modules
from modules.tickets.dynamic_fields_screens import SCREENS, mode, parse_screens
from tests.modules.admin.composite import capi, composite
from tests.modules.admin.test_composite_dynamic_fields import create, module_hook_html, stored_config

__all__ = ["capi", "composite"]  # fixtures


def test_screens_are_checked_and_stored_with_the_field(capi: Any, composite: Any) -> None:
    screens = {"AgentTicketPhone": 2, "OverviewSmall": "1", "AgentTicketZoom": 0}
    created = create(capi, name="Category", field_type="Dropdown",
                     config={"PossibleValues": {"hw": "Hardware"}, "Screens": screens})  # fmt: skip
    assert created.status_code == 201, created.get_json()
    field_id = created.get_json()["id"]
    assert "\nScreens:\n  AgentTicketPhone: '2'\n  OverviewSmall: '1'\nTranslatableValues" in stored_config(
        composite, field_id
    )
    assert created.get_json()["config"]["Screens"] == {"AgentTicketPhone": "2", "OverviewSmall": "1"}

    patched = capi.patch(f"/dynamic_field/{field_id}", json={"config": {"TreeView": 1}})
    assert patched.get_json()["config"]["Screens"] == {"AgentTicketPhone": "2", "OverviewSmall": "1"}  # kept
    refused = capi.patch(f"/dynamic_field/{field_id}", json={"config": {"Screens": {"AgentTicketZoom": 2}}})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {
        "config": ["Screens: AgentTicketZoom can show a field (1) or hide it (0), not require it (2)."]
    }
    unknown = capi.patch(f"/dynamic_field/{field_id}", json={"config": {"Screens": {"AgentTicketPhonee": 1}}})
    assert unknown.get_json()["errors"]["config"][0].startswith("Screens: unknown screen 'AgentTicketPhonee'; known: ")
    hidden = capi.patch(f"/dynamic_field/{field_id}", json={"config": {"Screens": {}}})
    assert "Screens" not in hidden.get_json()["config"] and "Screens" not in stored_config(composite, field_id)


def test_the_admin_form_offers_each_screen_and_saves_the_choices(composite: Any) -> None:
    chosen = {"AgentTicketEmail": "2", "AgentTicketSearch": "1"}
    form = MultiDict(
        [
            ("name", "Serial"),
            ("label", "Serial"),
            ("field_order", "3"),
            ("field_type", "Text"),
            ("object_type", "Ticket"),
        ]
        + [(f"config_screen_{screen.name}", chosen.get(screen.name, "0")) for screen in SCREENS]
    )
    with composite.app.test_request_context(), composite.engine.begin() as conn:
        module = modules(composite.app).snapshot()["dynamic_field"]
        pk = service.create(conn, module, form, source="form", user_id=1)
        html = str(module_hook_html(module, conn, pk))
    assert "Screens:\n  AgentTicketEmail: '2'\n  AgentTicketSearch: '1'\n" in stored_config(composite, pk)
    assert 'name="config_screen_AgentTicketEmail"' in html
    email = html.split('name="config_screen_AgentTicketEmail"', 1)[1].split("</select>", 1)[0]
    assert '<option value="2" selected>Required</option>' in email
    zoom = html.split('name="config_screen_AgentTicketZoom"', 1)[1].split("</select>", 1)[0]
    assert 'value="2"' not in zoom  # the zoom cannot require a field


def test_parse_and_mode() -> None:
    assert parse_screens({"AgentTicketPhone": True, "AgentTicketNote": "0"}) == ({"AgentTicketPhone": "1"}, "")
    assert parse_screens(["AgentTicketPhone"])[1] == (
        "Screens must be an object of screen: 0 (hidden), 1 (shown) or 2 (required)."
    )
    assert (
        parse_screens({"AgentTicketNote": "3"})[1]
        == "Screens: AgentTicketNote takes 0 (hidden), 1 (shown) or 2 (required), not '3'."
    )
    config = {"Screens": {"AgentTicketPhone": "2", "OverviewSmall": "1"}}
    assert (mode(config, "AgentTicketPhone"), mode(config, "OverviewSmall"), mode(config, "AgentTicketZoom")) == (
        2,
        1,
        0,
    )
    assert mode({}, "AgentTicketPhone") == 0  # a new field shows nowhere
