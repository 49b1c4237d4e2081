"""What the admin modules add to plain CRUD: passwords, a string key, service paths, read-only screens, lookups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from modules.db.schema import metadata
from tests.modules.admin import AdminApi, message
from tests.modules.auth import FAILED

SERVICE = metadata.tables["service"]


def _create(api: AdminApi, module: str, **values: object) -> dict[str, object]:
    response = api.post(f"/{module}", json=values)
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


# ------------------------------------------------------------------------------------------------------ passwords


def test_an_agent_signs_in_with_the_password_the_admin_set_and_reset(api: AdminApi) -> None:
    desk = api.desk
    agent = _create(api, "agent", login="k.lee", first_name="Kim", last_name="Lee", pw="First-Pw-2026")
    assert desk.password_hash("k.lee").startswith("$argon2id$")
    assert desk.api_login(desk.client(), "k.lee", "First-Pw-2026").status_code == 200

    assert api.patch(f"/agent/{agent['id']}", json={"title": "Ms", "pw": ""}).status_code == 200  # empty: kept
    assert desk.api_login(desk.client(), "k.lee", "First-Pw-2026").status_code == 200

    assert api.patch(f"/agent/{agent['id']}", json={"pw": "Reset-Pw-2026"}).status_code == 200
    old = desk.api_login(desk.client(), "k.lee", "First-Pw-2026")
    assert (old.status_code, message(old)) == (401, FAILED)
    assert desk.api_login(desk.client(), "k.lee", "Reset-Pw-2026").status_code == 200


def test_an_agent_needs_a_password_and_a_login_without_spaces(api: AdminApi) -> None:
    refused = api.post("/agent", json={"login": "kim lee", "first_name": "Kim", "last_name": "Lee"})
    assert refused.status_code == 422
    assert list(refused.get_json()["errors"]) == ["login", "pw"]
    assert refused.get_json()["errors"]["pw"] == ["Password is required."]
    short = api.post("/agent", json={"login": "kim", "first_name": "Kim", "last_name": "Lee", "pw": "short"})
    assert short.get_json()["errors"] == {"pw": ["Must be at least 8 characters."]}


def test_a_customer_user_signs_in_to_the_portal_with_the_password_the_admin_set(api: AdminApi) -> None:
    _create(
        api,
        "customer_user",
        login="ann@example.com",
        email="ann@example.com",
        first_name="Ann",
        last_name="Smith",
        customer_id="ACME",
        pw="Portal-Pw-2026",
    )
    signed_in = api.desk.api_login(api.desk.client(), "ann@example.com", "Portal-Pw-2026", realm="customer")
    assert signed_in.status_code == 200, signed_in.get_json()


def test_a_customer_user_needs_a_valid_email(api: AdminApi) -> None:
    values = {"login": "bob", "first_name": "Bob", "last_name": "Brown", "customer_id": "ACME", "email": "bob@"}
    assert api.post("/customer_user", json=values).get_json()["errors"] == {"email": ["Must be an email address."]}
    del values["email"]
    assert api.post("/customer_user", json=values).get_json()["errors"] == {"email": ["Email is required."]}


# ------------------------------------------------------------------------------------------------ customer company


def test_a_customer_company_is_keyed_by_the_customer_id_typed_in(api: AdminApi) -> None:
    created = _create(api, "customer_company", customer_id="ACME", name="Acme Corporation", city="Springfield")
    assert created["customer_id"] == "ACME"
    assert api.get("/customer_company/ACME").get_json()["name"] == "Acme Corporation"
    assert api.patch("/customer_company/ACME", json={"customer_id": "ACME", "city": "Shelbyville"}).status_code == 200

    renamed = api.patch("/customer_company/ACME", json={"customer_id": "ACME2"})
    assert renamed.status_code == 422
    assert renamed.get_json()["errors"] == {"customer_id": ["Customer ID cannot be changed once the record exists."]}
    again = api.post("/customer_company", json={"customer_id": "ACME", "name": "Acme Two"})
    assert again.get_json()["errors"] == {"customer_id": ["Already used by another Customer."]}
    missing = api.get("/customer_company/NOPE")
    assert (missing.status_code, message(missing)) == (404, "Customer NOPE does not exist.")

    assert api.delete("/customer_company/ACME").status_code == 204
    assert api.get("/customer_company/ACME").get_json()["valid_id"] == 2


def test_lists_show_the_display_value_of_each_lookup(api: AdminApi) -> None:
    _create(api, "customer_company", customer_id="ACME", name="Acme Corporation")
    users = api.get("/customer_user", query_string={"filter_customer_id": "ACME"}).get_json()["data"]
    assert [(u["login"], u["customer_id_display"]) for u in users] == [("cust@example.com", "Acme Corporation")]

    queues = api.get("/queue", query_string={"sort": "id"}).get_json()["data"]
    assert [(q["name"], q["group_id_display"], q["follow_up_id_display"]) for q in queues][:2] == [
        ("Postmaster", "users", "possible"),
        ("Raw", "users", "possible"),
    ]
    assert queues[0]["system_address_id_display"] == "otrsce@localhost"
    states = api.get("/state", query_string={"filter_type_id": 3, "sort": "id"}).get_json()["data"]
    assert [(s["name"], s["type_id_display"]) for s in states] == [
        ("closed successful", "closed"),
        ("closed unsuccessful", "closed"),
    ]


# -------------------------------------------------------------------------------------------------------- services


def test_a_sub_service_needs_its_parent(api: AdminApi) -> None:
    orphan = api.post("/service", json={"name": "IT::Hardware"})
    assert orphan.status_code == 422
    assert orphan.get_json()["errors"] == {"name": ["The parent service 'IT' does not exist; create it first."]}
    _create(api, "service", name="IT")
    _create(api, "service", name="IT::Hardware")
    assert _create(api, "service", name="IT::Hardware::Printers")["name"] == "IT::Hardware::Printers"


def test_service_names_have_no_empty_or_padded_parts(api: AdminApi) -> None:
    _create(api, "service", name="IT")
    empty = "Each part of the name between '::' must be filled in."
    padded = "A part of the name may not start or end with a space or ':'."
    for name, expected in (
        ("IT::::Printers", empty),
        ("IT::", empty),
        ("::IT", empty),
        ("IT:: ", empty),
        ("IT:::Printers", padded),
        ("IT:: Printers", padded),
        ("IT::Printers:", padded),
    ):
        response = api.post("/service", json={"name": name})
        assert (response.status_code, response.get_json()["errors"]) == (422, {"name": [expected]}), name


def test_renaming_a_service_renames_its_sub_services_in_one_transaction(api: AdminApi) -> None:
    it = _create(api, "service", name="IT")
    for name in ("IT::Hardware", "IT::Hardware::Printers", "IT::Software", "ITSM"):
        _create(api, "service", name=name)

    renamed = api.patch(f"/service/{it['id']}", json={"name": "Tech"})
    assert renamed.status_code == 200, renamed.get_json()
    with api.desk.engine.connect() as conn:
        names = conn.execute(select(SERVICE.c.name, SERVICE.c.change_by).order_by(SERVICE.c.name)).all()
    assert [tuple(row) for row in names] == [
        ("ITSM", 1),
        ("Tech", 1),
        ("Tech::Hardware", 1),
        ("Tech::Hardware::Printers", 1),
        ("Tech::Software", 1),
    ]


def test_a_service_cannot_be_moved_below_itself(api: AdminApi) -> None:
    it = _create(api, "service", name="IT")
    hardware = _create(api, "service", name="IT::Hardware")
    below = "A service cannot be placed below itself."
    for pk, name in ((hardware["id"], "IT::Hardware::Deep"), (it["id"], "IT::Hardware::IT")):
        response = api.patch(f"/service/{pk}", json={"name": name})
        assert (response.status_code, response.get_json()["errors"]) == (422, {"name": [below]}), name


def test_a_rename_whose_sub_services_would_take_used_names_is_refused_whole(api: AdminApi) -> None:
    it = _create(api, "service", name="IT")
    _create(api, "service", name="IT::Hardware")
    with api.desk.engine.begin() as conn:  # an orphan, as imported OTRS data may hold
        now = datetime.now().replace(microsecond=0)
        audit = {"create_time": now, "create_by": 1, "change_time": now, "change_by": 1}
        conn.execute(insert(SERVICE).values(name="Tech::Hardware", valid_id=1, **audit))

    refused = api.patch(f"/service/{it['id']}", json={"name": "Tech"})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {
        "name": ["Renaming would give a sub-service the name 'Tech::Hardware', which is already used."]
    }
    with api.desk.engine.connect() as conn:
        names = conn.execute(select(SERVICE.c.name).order_by(SERVICE.c.name)).scalars().all()
    assert names == ["IT", "IT::Hardware", "Tech::Hardware"]


def test_queues_use_the_same_hierarchy_rules(api: AdminApi) -> None:
    refs = {"group_id": 1, "system_address_id": 1, "salutation_id": 1, "signature_id": 1}
    orphan = api.post("/queue", json={"name": "Support::L2", **refs})
    assert orphan.get_json()["errors"] == {"name": ["The parent queue 'Support' does not exist; create it first."]}
    support = _create(api, "queue", name="Support", **refs)
    _create(api, "queue", name="Support::L2", **refs)
    assert api.patch(f"/queue/{support['id']}", json={"name": "Helpdesk"}).status_code == 200
    names = [
        q["name"] for q in api.get("/queue", query_string={"search": "Helpdesk", "sort": "name"}).get_json()["data"]
    ]
    assert names == ["Helpdesk", "Helpdesk::L2"]


# --------------------------------------------------------------------------------------------------- read-only


def test_communication_channels_can_only_be_viewed(api: AdminApi) -> None:
    listed = api.get("/communication_channel", query_string={"sort": "id"})
    assert [row["name"] for row in listed.get_json()["data"]] == ["Email", "Phone", "Internal", "Chat"]
    assert all("channel_data" not in row for row in listed.get_json()["data"])
    for action, response in (
        ("create", api.post("/communication_channel", json={"name": "Fax"})),
        ("update", api.patch("/communication_channel/1", json={"name": "Mail"})),
        ("delete", api.delete("/communication_channel/1")),
    ):
        assert (response.status_code, message(response)) == (
            403,
            f"Module 'communication_channel' does not offer {action}.",
        )
    assert api.get("/communication_channel/1").get_json()["name"] == "Email"


def test_validity_states_can_only_be_viewed(api: AdminApi) -> None:
    rows = api.get("/valid", query_string={"sort": "id"}).get_json()["data"]
    assert [(row["id"], row["name"]) for row in rows] == [(1, "valid"), (2, "invalid"), (3, "invalid-temporarily")]
    refused = api.patch("/valid/1", json={"name": "ok"})
    assert (refused.status_code, message(refused)) == (403, "Module 'valid' does not offer update.")
    assert api.delete("/valid/3").status_code == 403
