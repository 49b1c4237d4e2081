"""Notification events (items and per-language messages, replaced on save, read per page) and standard attachments
(upload as multipart or base64, size limit, download with the module's view permission)."""

from __future__ import annotations

import base64
import io
from typing import Any

from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict

from goatkit.engine import service
from goatkit.engine.extension import modules
from modules.admin.attachments import MAX_BYTES
from modules.db.schema import metadata
from tests.modules.admin import AdminApi, message
from tests.modules.admin.composite import Statements, capi, composite
from tests.modules.auth import AGENT, AGENT_PW, Helpdesk

__all__ = ["capi", "composite"]  # fixtures
ITEM, MESSAGE = metadata.tables["notification_event_item"], metadata.tables["notification_event_message"]
ATTACHMENT = metadata.tables["standard_attachment"]
EN = {
    "subject": "Ticket created: <OTRS_TICKET_Title>",
    "text": "Hi <OTRS_CUSTOMER_REALNAME>",
    "content_type": "text/plain",
}


def notification(capi: AdminApi, name: str = "New ticket", **extra: Any) -> Any:
    items = {"Events": ["TicketCreate"], "Recipients": ["AgentOwner", "Customer"], "Transports": ["Email"]}
    return capi.post("/notification_event", json={"name": name, "items": items, "messages": {"en": EN}} | extra)


def children(desk: Helpdesk, pk: int) -> tuple[list[tuple[str, str]], list[str]]:
    with desk.engine.connect() as conn:
        items = conn.execute(select(ITEM.c.event_key, ITEM.c.event_value).where(ITEM.c.notification_id == pk))
        languages = conn.execute(select(MESSAGE.c.language).where(MESSAGE.c.notification_id == pk))
        return sorted(tuple(r) for r in items), sorted(languages.scalars())


def test_items_and_messages_are_stored_and_replaced(capi: AdminApi, composite: Helpdesk) -> None:
    created = notification(capi)
    assert created.status_code == 201, created.get_json()
    row = created.get_json()
    assert row["items"] == {
        "Events": ["TicketCreate"],
        "Recipients": ["AgentOwner", "Customer"],
        "Transports": ["Email"],
    }
    assert row["messages"] == {"en": EN}
    de = {"subject": "Neues Ticket", "text": "Hallo", "content_type": "text/html"}
    items = {"Events": ["TicketStateUpdate", "TicketDynamicFieldUpdate_Colour"], "ArticleSenderTypeID": ["1"]}
    changed = capi.patch(f"/notification_event/{row['id']}", json={"items": items, "messages": {"de": de}})
    assert changed.status_code == 200, changed.get_json()
    assert children(composite, row["id"]) == (
        [("ArticleSenderTypeID", "1"), ("Events", "TicketDynamicFieldUpdate_Colour"), ("Events", "TicketStateUpdate")],
        ["de"],
    )
    assert capi.patch(f"/notification_event/{row['id']}", json={"comments": "kept"}).status_code == 200
    assert children(composite, row["id"])[1] == ["de"]  # a partial update leaves the children alone
    assert capi.delete(f"/notification_event/{row['id']}").status_code == 204
    assert children(composite, row["id"]) == ([], [])


def test_notification_validation_messages(capi: AdminApi) -> None:
    cases = [
        ({"items": {"Events": []}}, {"items": ["Choose at least one event that sends this notification."]}),
        ({"items": {"Events": ["TicketExplode"]}},
         {"items": ["Unknown event 'TicketExplode'; events are OTRS's (TicketCreate, ArticleCreate ...)."]}),
        ({"messages": {}}, {"messages": ["Write the notification's subject and text in at least one language."]}),
        ({"messages": {"english": EN}}, {"messages": ["'english' is not a language code such as en, de or pt_BR."]}),
        ({"messages": {"en": EN | {"content_type": "text/rtf"}}},
         {"messages": ["The en content type must be text/plain or text/html."]}),
    ]  # fmt: skip
    for index, (extra, errors) in enumerate(cases):
        answer = notification(capi, f"Bad {index}", **extra)
        assert answer.status_code == 422, answer.get_json()
        assert answer.get_json()["errors"] == errors


def test_a_notification_page_costs_one_query_per_child_table(capi: AdminApi, composite: Helpdesk) -> None:
    for index in range(5):
        notification(capi, f"N{index}")
    with Statements(composite.engine) as statements:
        body = capi.get("/notification_event?page_size=50").get_json()
    mine = [row for row in body["data"] if row["name"].startswith("N")]
    assert len(body["data"]) == 20 and all(row["messages"]["en"] == EN for row in mine)  # 15 from OTRS's data
    assert sum("FROM notification_event_item" in s for s in statements) == 1
    assert sum("FROM notification_event_message" in s for s in statements) == 1


def test_the_form_edits_its_items_and_keeps_the_others(capi: AdminApi, composite: Helpdesk) -> None:
    pk = notification(capi, items={"Events": ["TicketCreate"], "VisibleForAgent": ["1"]}).get_json()["id"]
    form = MultiDict(
        [("name", "New ticket"), ("item_Events", "ArticleCreate"), ("item_Events", "TicketCreate"),
         ("item_Recipients", "AgentOwner"), ("message_language", "en"), ("message_subject", "S"),
         ("message_text", "T"), ("message_content_type", "text/plain"), ("message_language", ""),
         ("message_subject", ""), ("message_text", ""), ("message_content_type", "text/plain"), ("valid_id", "1")]
    )  # fmt: skip
    with composite.app.test_request_context(), composite.engine.begin() as conn:
        module = modules(composite.app).snapshot()["notification_event"]
        service.update(conn, module, pk, form, source="form", user_id=1)
    assert children(composite, pk) == (
        [
            ("Events", "ArticleCreate"),
            ("Events", "TicketCreate"),
            ("Recipients", "AgentOwner"),
            ("VisibleForAgent", "1"),
        ],
        ["en"],
    )


def upload(capi: AdminApi, name: str, raw: bytes, **file: Any) -> Any:
    given = {"filename": "terms.txt", "content_type": "text/plain", "content": base64.b64encode(raw).decode()}
    return capi.post("/standard_attachment", json={"name": name, "file": given | file})


def test_attachments_from_json_and_their_download(capi: AdminApi, composite: Helpdesk) -> None:
    created = upload(capi, "Terms", b"Our terms\n")
    assert created.status_code == 201, created.get_json()
    row = created.get_json()
    assert (row["filename"], row["content_type"], row["size"]) == ("terms.txt", "text/plain", 10)
    assert "content" not in row
    got = capi.client.get(f"/admin/attachment-files/{row['id']}", headers=capi.headers)
    assert (got.status_code, got.data, got.mimetype) == (200, b"Our terms\n", "text/plain")
    assert got.headers["Content-Disposition"] == "attachment; filename=terms.txt"
    renamed = capi.patch(f"/standard_attachment/{row['id']}", json={"comments": "still the same file"})
    assert renamed.get_json()["size"] == 10  # no file on edit keeps the stored one

    agent = composite.client()
    token = composite.token(AGENT, AGENT_PW)["access_token"]
    refused = agent.get(
        f"/admin/attachment-files/{row['id']}",
        headers={"Authorization": "Bearer " + token, "Accept": "application/json"},
    )
    assert (refused.status_code, message(refused)) == (
        403,
        "You need the 'rw' permission on group 'admin' to view standard_attachment records.",
    )
    json_headers = capi.headers | {"Accept": "application/json"}
    assert message(capi.client.get("/admin/attachment-files/999", headers=json_headers)) == (
        "Standard attachment 999 does not exist."
    )


def test_attachment_problems_are_named(capi: AdminApi) -> None:
    missing = capi.post("/standard_attachment", json={"name": "Nothing"})
    assert missing.get_json()["errors"] == {"file": ["Choose the file to attach."]}
    bad = upload(capi, "Bad", b"x", content="not base64!")
    assert bad.get_json()["errors"] == {"file": ["The file content must be base64."]}
    big = upload(capi, "Big", b"x" * (MAX_BYTES + 1))
    assert big.get_json()["errors"] == {"file": ["The file is larger than 10 MB, the limit for a standard attachment."]}


def test_an_attachment_uploaded_from_the_form(composite: Helpdesk) -> None:
    data = MultiDict([("name", "Logo"), ("valid_id", "1")])
    data.add("upload", FileStorage(io.BytesIO(b"\x89PNG..."), filename="C:\\pics\\logo.png", content_type="image/png"))
    with composite.app.test_request_context(), composite.engine.begin() as conn:
        module = modules(composite.app).snapshot()["standard_attachment"]
        pk = service.create(conn, module, data, source="form", user_id=1)
        stored = conn.execute(select(ATTACHMENT).where(ATTACHMENT.c.id == pk)).mappings().one()
    assert (stored["filename"], stored["content_type"], bytes(stored["content"])) == (
        "logo.png",
        "image/png",
        b"\x89PNG...",
    )
