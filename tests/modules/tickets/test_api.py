"""The ticket JSON API: create with a first article, read, change, add articles, history and search, over the same
service as the screens, with every refusal a sentence and every bad value a 422 naming its field."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from goatkit.engine.extension import modules
from goatkit.passwords import hash_password
from modules.tickets.articles import article_list
from tests.modules.auth import Helpdesk, make_helpdesk
from tests.modules.permissions.world import RAW_QUEUE, USERS_GROUP, T, World
from tests.modules.tickets.ticket_world import counting

PASSWORD = "Agent-Pw-123"
API = "/api/v1/tickets"


class Agent:
    """A signed-in API client (bearer token) of one agent."""

    def __init__(self, desk: Helpdesk, world: World, login: str, *keys: str, group: int = USERS_GROUP) -> None:
        self.id = world.agent(login)
        with desk.engine.begin() as conn:
            conn.execute(T["users"].update().where(T["users"].c.id == self.id).values(pw=hash_password(PASSWORD)))
        if keys:
            world.grant(self.id, group, *keys)
        self.client: FlaskClient = desk.client()
        self.headers = {"Authorization": "Bearer " + desk.token(login, PASSWORD)["access_token"]}

    def call(self, method: str, path: str = "", **kw: Any) -> Any:
        return getattr(self.client, method)(API + path, headers=self.headers, **kw)


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Iterator[Helpdesk]:
    made = make_helpdesk(db_url, tmp_path / "var")
    yield made
    modules(made.app).stop()
    made.close()


@pytest.fixture
def world(desk: Helpdesk) -> World:
    return World(desk.engine)


@pytest.fixture
def jolene(desk: Helpdesk, world: World) -> Agent:
    return Agent(desk, world, "jolene", "rw")


NEW = {
    "title": "Printer jams",
    "queue": "Raw",
    "customer_user": "carl@example.com",
    "customer_id": "ACME",
    "article": {"subject": "Printer", "body": "It jams on page 2.", "channel": "Phone", "sender_type": "customer",
                "history_type": "PhoneCallCustomer", "visible_for_customer": True},
}  # fmt: skip


def error(response: Any) -> str:
    return str(response.get_json()["error"]["message"])


def test_create_read_and_history(jolene: Agent) -> None:
    created = jolene.call("post", json=NEW)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert created.headers["Location"] == f"{API}/{body['id']}"
    assert (body["title"], body["queue"]["name"], body["state"], body["priority"]["name"]) == (
        "Printer jams", "Raw", {"id": 1, "name": "new", "type": "new"}, "3 normal"
    )  # fmt: skip
    assert (body["owner"]["login"], body["lock"]["name"], body["customer_user"]) == (
        "jolene",
        "unlock",
        "carl@example.com",
    )

    read = jolene.call("get", f"/{body['id']}?articles=1").get_json()
    assert [(a["sender_type"], a["channel"], a["subject"], a["body"]) for a in read["articles"]] == [
        ("customer", "Phone", "Printer", "It jams on page 2.")
    ]
    lines = jolene.call("get", f"/{body['id']}/history").get_json()["data"]
    assert lines[0]["type"] == "NewTicket"
    assert lines[0]["text"] == f'Created ticket [{body["tn"]}] in "Raw" with priority "3 normal" and state "new".'
    assert "PhoneCallCustomer" in [line["type"] for line in lines]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({**NEW, "title": ""}, {"title": ["The title is empty."]}),
        ({**NEW, "article": {"subject": "x", "body": " "}}, {"article.body": ["The body is empty."]}),
        ({**NEW, "queue": "Nowhere"}, {"queue": ["There is no queue 'Nowhere'."]}),
        ({**NEW, "article": "text"}, {"article": ["The article must be an object (subject, body ...)."]}),
        ({**NEW, "article": {**NEW["article"], "attachments": [{"filename": "a.txt", "content": "%%%"}]}},
         {"attachments.0": ["The content is not valid base64."]}),
    ],
)  # fmt: skip
def test_bad_values_answer_422_naming_the_field(jolene: Agent, body: dict[str, Any], errors: dict[str, Any]) -> None:
    response = jolene.call("post", json=body)
    assert response.status_code == 422
    assert response.get_json()["errors"] == errors


def test_patch_applies_changes_in_order_with_otrs_rules(jolene: Agent) -> None:
    ticket = jolene.call("post", json=NEW).get_json()["id"]
    locked = jolene.call("patch", f"/{ticket}", json={"lock": "lock", "priority": "4 high", "title": "Printer on fire"})
    assert locked.status_code == 200, locked.get_json()
    assert (locked.get_json()["lock"]["name"], locked.get_json()["priority"]["name"]) == ("lock", "4 high")
    closed = jolene.call("patch", f"/{ticket}", json={"state": "closed successful"}).get_json()
    assert (closed["state"]["name"], closed["lock"]["name"]) == ("closed successful", "unlock")  # closing unlocks
    pending = jolene.call("patch", f"/{ticket}", json={"state": "pending reminder"})
    assert pending.status_code == 422
    assert pending.get_json()["errors"] == {"pending_until": ["The state 'pending reminder' needs a pending time."]}
    later = jolene.call(
        "patch", f"/{ticket}", json={"state": "pending reminder", "pending_until": "2030-01-02T09:30:00"}
    )
    assert later.get_json()["pending_until"].startswith("2030-01-02T09:30")
    unknown = jolene.call("patch", f"/{ticket}", json={"tn": "1", "colour": "red"})
    assert unknown.get_json()["errors"] == {"colour": ["Cannot be changed here."], "tn": ["Cannot be changed here."]}
    types = [line["type"] for line in jolene.call("get", f"/{ticket}/history").get_json()["data"]]
    assert types[4:] == [
        "TitleUpdate", "Lock", "Misc", "PriorityUpdate",  # title, lock, priority: TicketUpdate's order
        "StateUpdate", "Unlock",  # closing unlocks
        "StateUpdate", "SetPendingTime",
    ]  # fmt: skip


def test_articles_with_attachments(jolene: Agent) -> None:
    ticket = jolene.call("post", json=NEW).get_json()["id"]
    note = {"subject": "Called", "body": "Told him to clean the drum.", "history_type": "AddNote",
            "attachments": [{"filename": "log.txt", "content_type": "text/plain",
                             "content": base64.b64encode(b"jam at 10:02").decode()}]}  # fmt: skip
    added = jolene.call("post", f"/{ticket}/articles", json=note)
    assert added.status_code == 201, added.get_json()
    articles = jolene.call("get", f"/{ticket}?articles=1").get_json()["articles"]
    assert [a["id"] for a in articles][-1] == added.get_json()["article_id"]
    assert [(f["filename"], f["size"]) for f in articles[-1]["attachments"]] == [("log.txt", 12)]


def test_permissions_are_checked_on_the_server(desk: Helpdesk, world: World, jolene: Agent) -> None:
    ticket = jolene.call("post", json=NEW).get_json()["id"]
    reader = Agent(desk, world, "rita", "ro")
    assert reader.call("get", f"/{ticket}").status_code == 200
    refused = reader.call("patch", f"/{ticket}", json={"priority": "5 very high"})
    assert (refused.status_code, error(refused)) == (
        403,
        f"You need the 'priority' permission on ticket {_tn(jolene, ticket)}.",
    )
    cannot_create = reader.call("post", json=NEW)
    assert (cannot_create.status_code, error(cannot_create)) == (
        403,
        "You need the 'create' permission on queue 'Raw'.",
    )
    stranger = Agent(desk, world, "sid")
    assert stranger.call("get", f"/{ticket}").status_code == 403
    assert jolene.call("get", "/999999").status_code == 404
    assert (jolene.call("get", "/abc").status_code, error(jolene.call("get", "/abc"))) == (
        400, "Parameter 'ticket_id' must be a whole number, not 'abc'."
    )  # fmt: skip


def test_search_and_list_with_keyset_pages(desk: Helpdesk, world: World, jolene: Agent) -> None:
    first = jolene.call("post", json=NEW).get_json()
    smoke = {**NEW["article"], "body": "Smoke comes out of the scanner."}
    second = jolene.call("post", json={**NEW, "title": "Scanner smokes", "article": smoke}).get_json()
    third = world.ticket(RAW_QUEUE)  # a ticket she may read, without articles
    found = jolene.call("get", "?text=jams").get_json()
    assert [t["id"] for t in found["data"]] == [first["id"]]
    page = jolene.call("get", "?page_size=1&queue_ids=2").get_json()
    assert len(page["data"]) == 1 and page["total"] == 4 and page["page"]["next_cursor"]  # with the welcome ticket
    rest = jolene.call("get", f"?page_size=5&queue_ids=2&cursor={page['page']['next_cursor']}").get_json()
    newest_first = sorted([1, first["id"], second["id"], third], reverse=True)
    assert [t["id"] for t in page["data"] + rest["data"]] == newest_first
    assert rest["page"]["next_cursor"] is None
    for listed in page["data"] + rest["data"]:  # built from the search's rows: the same as the ticket's own answer
        assert listed == jolene.call("get", f"/{listed['id']}").get_json()
    assert found["data"][0]["owner"]["login"] and found["data"][0]["responsible"]["login"]
    bad = jolene.call("get", "?state_type=sleepy")
    assert bad.status_code == 400
    cursor = page["page"]["next_cursor"]
    twice = jolene.call("get", f"?page_size=1&queue_ids=2&cursor={cursor}&cursor={cursor}")
    assert (twice.status_code, error(twice)) == (400, "cursor: give one page link, not 2.")


def _tn(agent: Agent, ticket_id: int) -> str:
    return str(agent.call("get", f"/{ticket_id}").get_json()["tn"])


def test_the_welcome_tickets_html_body_is_its_body_not_an_attachment(desk: Helpdesk, jolene: Agent) -> None:
    with desk.app.app_context(), desk.engine.connect() as conn:
        (welcome,) = article_list(conn, 1)
    assert welcome.html is not None and "Welcome to" in welcome.html
    assert welcome.attachments == ()
    assert jolene.call("get", "/1?articles=1").get_json()["articles"][0]["attachments"] == []


def test_creating_a_ticket_costs_a_fixed_handful_of_statements(desk: Helpdesk, jolene: Agent) -> None:
    """The whole request, sign-in check and listeners included: nothing is read back that the request wrote."""
    jolene.call("post", json=NEW)  # the day's counter row and the lookups exist now
    with counting(desk.engine) as statements:
        created = jolene.call("post", json=NEW)
    assert created.status_code == 201, created.get_json()
    shown = [" ".join(statement.split())[:60] for statement in statements]
    # token revocation, the agent with their groups; counter, ticket (skipping a number already taken by itself),
    # its search document, article, mime data, its search document, history (PostgreSQL: the ticket with its
    # document, the article with its mime data and document); escalation goals; the answer: ticket with logins (no
    # dynamic field was stored: none to read)
    assert len(statements) == (7 if desk.engine.dialect.name == "postgresql" else 11), "\n".join(shown)
    assert not [s for s in shown if s.startswith(("SELECT article", "SELECT ticket.id, ticket.tn, ticket.title FROM"))]
