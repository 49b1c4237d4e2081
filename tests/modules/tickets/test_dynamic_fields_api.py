"""Dynamic fields in the ticket JSON API: set on create, PATCH and new articles (OTRS GI's ``DynamicField``
``[{Name, Value}]`` too), read back on GET (ticket and articles), filtered on in the list; bad values 422."""

from __future__ import annotations

from typing import Any

from tests.modules.tickets import test_api
from tests.modules.tickets.dynamic_field_world import make_field
from tests.modules.tickets.test_api import NEW, Agent

desk, world, jolene = test_api.desk, test_api.world, test_api.jolene

CHOICES = {"hw": "Hardware", "sw": "Software", "net": "Network"}


def test_create_get_patch_and_list_with_dynamic_fields(jolene: Agent, desk: Any) -> None:
    menu = make_field(desk.engine, "Dropdown", PossibleValues=CHOICES)
    many = make_field(desk.engine, "Multiselect", PossibleValues=CHOICES)
    due = make_field(desk.engine, "Date")
    minutes = make_field(desk.engine, "Text", object_type="Article")

    created = jolene.call(
        "post",
        json={**NEW, "DynamicField": [{"Name": menu, "Value": "hw"}, {"Name": many, "Value": ["sw", "net"]},
                                      {"Name": minutes, "Value": "5"}]},
    )  # fmt: skip

    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["dynamic_fields"] == [{"name": menu, "value": "hw"}, {"name": many, "value": ["sw", "net"]}]
    assert jolene.call("get", f"/{body['id']}").get_json()["dynamic_fields"] == body["dynamic_fields"]
    bare = jolene.call("post", json=NEW).get_json()  # no fields: answered without reading them, and none there
    assert bare["dynamic_fields"] == [] == jolene.call("get", f"/{bare['id']}").get_json()["dynamic_fields"]
    ticket_id = body["id"]
    patched = jolene.call(
        "patch", f"/{ticket_id}", json={"title": "Renamed", "dynamic_fields": {menu: "sw", due: "2024-05-01", many: []}}
    )
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["dynamic_fields"] == [{"name": menu, "value": "sw"}, {"name": due, "value": "2024-05-01"}]
    full = jolene.call("get", f"/{ticket_id}?articles=1").get_json()
    assert full["articles"][0]["dynamic_fields"] == [{"name": minutes, "value": "5"}]
    added = jolene.call(
        "post",
        f"/{ticket_id}/articles",
        json={"body": "Called again.", "dynamic_fields": [{"name": minutes, "value": "7"}]},
    )
    assert added.status_code == 201
    articles = jolene.call("get", f"/{ticket_id}?articles=1").get_json()["articles"]
    assert [a["dynamic_fields"] for a in articles] == [
        [{"name": minutes, "value": "5"}],
        [{"name": minutes, "value": "7"}],
    ]

    listed = jolene.call("get", f"?DynamicField_{menu}=sw&DynamicField_{due}.GreaterThan=2024-04-30").get_json()
    assert [row["id"] for row in listed["data"]] == [ticket_id]
    assert jolene.call("get", f"?DynamicField_{menu}=hw").get_json()["data"] == []


def test_bad_dynamic_field_values_are_refused_naming_the_field(jolene: Agent, desk: Any) -> None:
    menu = make_field(desk.engine, "Dropdown", PossibleValues=CHOICES)
    bad = jolene.call("post", json={**NEW, "dynamic_fields": [{"name": menu, "value": "printer"}]})
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == {
        f"DynamicField_{menu}": ["'printer' is not a possible value of F label (choose from: hw, net, sw)."]
    }
    shape = jolene.call("post", json={**NEW, "dynamic_fields": ["Category"]})
    assert shape.get_json()["errors"] == {
        "dynamic_fields": ['Each dynamic field needs a name and a value: {"name": "Category", "value": "hw"}.']
    }
    unknown = jolene.call("post", json={**NEW, "dynamic_fields": {"Nope": "x"}})
    assert unknown.get_json()["errors"] == {
        "DynamicField_Nope": ["There is no valid ticket or article dynamic field 'Nope'."]
    }
    listed = jolene.call("get", "?DynamicField_Nope=x")
    assert (
        listed.status_code == 400
        and "no valid ticket or article dynamic field 'Nope'" in listed.get_json()["error"]["message"]
    )
