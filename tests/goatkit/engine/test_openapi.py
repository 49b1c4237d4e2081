"""The OpenAPI 3.1 document of the module API: generated from the loaded specs, validated by a real validator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, MetaData, Numeric, String, Table, Text, Time

from goatkit.engine.extension import modules
from goatkit.engine.openapi import document
from tests.goatkit.engine.test_api import AGENT_MODULE, PRIORITY, SALUTATION
from tests.modules.auth import Helpdesk, make_helpdesk

URL = "/api/openapi.json"
API = "/api/v1/modules"

extra = MetaData()
Table(
    "gk_gadget",
    extra,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
    Column("price", Numeric(10, 2)),
    Column("ratio", Float),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("legacy_flag", Integer),
    Column("bought", Date),
    Column("seen", DateTime),
    Column("opens", Time),
    Column("email", String(120)),
    Column("site", String(200)),
    Column("size", String(10)),
    Column("tags", String(100)),
    Column("secret", String(128)),
    Column("notes", Text),
)

GADGET = """\
module: {name: gadget, singular: Gadget, plural: Gadgets, table: gk_gadget}
fields:
  - {name: id, type: int, sortable: true, show_in_form: false}
  - {name: name, type: string, label: "@common.words.name|Name", required: true, searchable: true, pattern: "^[a-z]+$"}
  - {name: price, type: decimal, min: 0}
  - {name: ratio, type: float}
  - {name: active, type: checkbox}
  - {name: legacy_flag, type: bool}
  - {name: bought, type: date, filterable: true}
  - {name: seen, type: datetime, readonly: true}
  - {name: opens, type: time}
  - {name: email, type: email, label: "@common.words.comment|Mail", help: "Where to write"}
  - {name: site, type: url, max_length: 80}
  - {name: size, type: select, filterable: true, default: m, options: [{value: s}, {value: m}, {value: l}]}
  - {name: tags, type: multiselect, options: [{value: red}, {value: blue}]}
  - {name: secret, type: password}
  - {name: notes, type: textarea, virtual: true}
permissions: [view, create]
"""


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Iterator[Helpdesk]:
    folder = tmp_path / "modules"
    folder.mkdir()
    for name, text in (("priority", PRIORITY), ("salutation", SALUTATION), ("agent", AGENT_MODULE), ("g", GADGET)):
        (folder / f"{name}.yaml").write_text(text)
    made = make_helpdesk(db_url, tmp_path / "var", modules_path=str(folder), modules_builtin=False)
    extra.create_all(made.engine)
    yield made
    modules(made.app).stop()
    made.close()


def fetch(desk: Helpdesk, **headers: str) -> dict[str, Any]:
    response = desk.client().get(URL, headers={"Authorization": "Bearer " + desk.token()["access_token"], **headers})
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def test_the_document_is_valid_openapi_3_1_and_offers_only_what_each_module_offers(desk: Helpdesk) -> None:
    anonymous = desk.client().get(URL)
    assert (anonymous.status_code, anonymous.get_json()["error"]["message"]) == (401, "Sign in first.")
    doc = fetch(desk)
    validate(doc)  # raises OpenAPIValidationError naming what is wrong
    assert doc["openapi"] == "3.1.0"
    methods = {path: sorted(set(item) - {"parameters"}) for path, item in doc["paths"].items()}
    assert methods == {
        f"{API}/agent": ["get", "post"],
        f"{API}/agent/{{record_id}}": ["delete", "get", "patch", "put"],
        f"{API}/gadget": ["get", "post"],
        f"{API}/gadget/{{record_id}}": ["get"],
        f"{API}/priority": ["get", "post"],
        f"{API}/priority/{{record_id}}": ["delete", "get", "patch", "put"],
        f"{API}/salutation": ["get"],
        f"{API}/salutation/{{record_id}}": ["get"],
    }
    assert doc["paths"][f"{API}/priority/{{record_id}}"]["patch"]["operationId"] == "update_priority"
    created = doc["paths"][f"{API}/priority"]["post"]["responses"]
    assert created["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ValidationError"}
    assert "Location" in created["201"]["headers"]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["cookie_agent"] == {"type": "apiKey", "in": "cookie", "name": "gotrs_agent_access"}


def test_list_parameters_allow_only_sortable_searchable_and_filterable_fields(desk: Helpdesk) -> None:
    doc = fetch(desk)
    params = {p["name"]: p["schema"] for p in doc["paths"][f"{API}/priority"]["get"]["parameters"]}
    assert list(params) == ["page_size", "sort", "search", "filter_valid_id", "cursor"]
    assert params["sort"]["enum"] == ["id", "-id", "name", "-name"]
    assert params["page_size"] == {"type": "integer", "minimum": 1, "maximum": 500, "default": 25}
    assert params["filter_valid_id"] == {"type": "integer"}
    gadget = {p["name"]: p["schema"] for p in doc["paths"][f"{API}/gadget"]["get"]["parameters"]}
    assert list(gadget) == ["page_size", "sort", "search", "filter_bought_from", "filter_bought_to", "filter_size",
                            "cursor"]  # fmt: skip
    assert gadget["filter_bought_from"] == {"type": "string", "format": "date"}
    assert gadget["filter_size"] == {"type": "string", "enum": ["s", "m", "l"]}
    salutation = [p["name"] for p in doc["paths"][f"{API}/salutation"]["get"]["parameters"]]
    assert salutation == ["page_size", "sort", "cursor"]  # nothing searchable or filterable


def test_field_types_become_json_schema_types_and_formats(desk: Helpdesk) -> None:
    schemas = fetch(desk)["components"]["schemas"]
    gadget = schemas["gadget"]
    props = gadget["properties"]
    assert gadget["required"] == ["name"]
    assert "required" not in schemas["gadget_update"]
    assert props["id"] == {"type": "integer", "title": "Id", "readOnly": True}
    assert props["name"] == {"type": "string", "maxLength": 50, "pattern": "^[a-z]+$", "title": "Name"}
    assert props["price"] == {
        "type": ["string", "null"],
        "format": "decimal",
        "pattern": r"^[+-]?[0-9]+(\.[0-9]+)?$",
        "minimum": 0,
        "title": "Price",
    }
    assert props["ratio"] == {"type": ["number", "null"], "title": "Ratio"}
    assert props["active"] == {"type": "boolean", "title": "Active"}
    assert props["legacy_flag"] == {"type": ["boolean", "integer", "null"], "title": "Legacy flag"}
    assert props["bought"] == {"type": ["string", "null"], "format": "date", "title": "Bought"}
    assert props["seen"] == {"type": ["string", "null"], "format": "date-time", "title": "Seen", "readOnly": True}
    assert props["opens"] == {"type": ["string", "null"], "format": "time", "title": "Opens"}
    assert props["email"] == {
        "type": ["string", "null"],
        "maxLength": 120,
        "format": "email",
        "title": "Comment",  # the English label file wins over the spec's fallback
        "description": "Where to write",
    }
    assert props["site"] == {"type": ["string", "null"], "maxLength": 80, "format": "uri", "title": "Site"}
    assert props["size"] == {"type": ["string", "null"], "enum": ["s", "m", "l", None], "title": "Size", "default": "m"}
    assert props["tags"] == {
        "type": ["array", "string", "null"],
        "items": {"type": "string", "enum": ["red", "blue"]},
        "title": "Tags",
    }
    assert props["secret"] == {"type": ["string", "null"], "format": "password", "title": "Secret", "writeOnly": True}
    assert props["notes"] == {"type": "string", "title": "Notes"}  # virtual: accepted, never stored
    priority = schemas["priority"]["properties"]
    assert priority["valid_id"]["type"] == "integer"
    assert priority["valid_id_display"] == {"type": ["string", "null"], "readOnly": True}
    assert priority["create_time"]["readOnly"] is True
    assert schemas["Error"]["required"] == ["error"]


def test_labels_follow_the_request_language(desk: Helpdesk) -> None:
    german = fetch(desk, **{"Accept-Language": "de"})["components"]["schemas"]["gadget"]["properties"]
    english = fetch(desk, **{"Accept-Language": "en"})["components"]["schemas"]["gadget"]["properties"]
    assert (german["email"]["title"], english["email"]["title"]) == ("Kommentar", "Comment")


def test_the_document_is_cached_per_snapshot_and_rebuilt_after_a_reload(desk: Helpdesk, tmp_path: Path) -> None:
    registry = modules(desk.app).registry
    with desk.app.test_request_context():
        first = document(modules(desk.app).snapshot())
        assert document(registry.snapshot()) is first
        (tmp_path / "modules" / "signature.yaml").write_text(SALUTATION.replace("salutation", "signature"))
        registry.load()
        second = document(registry.snapshot())
    assert second is not first
    assert f"{API}/signature" in second["paths"] and f"{API}/signature" not in first["paths"]
    validate(second)
