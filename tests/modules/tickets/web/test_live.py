"""Live updates over HTTP: agents' event streams carry other agents' changes, and nothing they may not read.

Every test runs on SQLite and PostgreSQL, with the in-process broker and with a real Redis stream (under a key of
the test's own: the test Redis is shared).  Streams are read frame by frame from the running WSGI response.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete

from goatkit.live import MemoryBroker, broker_for, use_broker
from goatkit.live_redis import RedisBroker
from goatkit.platform import current_platform
from modules.db.schema import metadata
from modules.tickets.actor import Actor
from modules.tickets.service import TicketService
from tests.modules.tickets.web.conftest import Setup
from tests.modules.tickets.web.desk import Agent, Tickets, id_of


@pytest.fixture(params=["memory", "redis"])
def broker(request: pytest.FixtureRequest, tickets: Tickets) -> Iterator[str]:
    platform = current_platform(tickets.desk.app)
    if request.param == "memory":
        use_broker(platform, MemoryBroker())
        yield "memory"
        return
    import redis

    client = redis.Redis.from_url(request.getfixturevalue("redis_url"), socket_timeout=2)
    key = f"goatkit:live:test:{uuid.uuid4().hex}"
    use_broker(platform, RedisBroker(client, key=key))
    yield "redis"
    client.delete(key)
    client.close()


T = metadata.tables


class Stream:
    """An open event stream of an agent, read one frame at a time (comments skipped)."""

    def __init__(self, agent: Agent, path: str, **headers: str) -> None:
        self.response = agent.client.get(path, headers=headers, buffered=False)
        assert self.response.status_code == 200, self.response.get_data(as_text=True)
        assert self.response.mimetype == "text/event-stream"
        self.frames = iter(self.response.response)
        assert next(self.frames).decode().startswith("retry: ")

    def next(self) -> dict[str, Any]:
        while True:
            text = next(self.frames).decode()
            if not text.startswith(":"):
                break
        fields: dict[str, Any] = {}
        for line in text.strip("\n").split("\n"):
            name, _, value = line.partition(": ")
            fields[name] = value
        if "data" in fields:
            fields["data"] = json.loads(fields["data"])
        return fields

    def changed(self, count: int) -> list[int]:
        """The tickets of the next change events, until ``count`` changes came (a batch may hold several)."""
        found: list[int] = []
        while len(found) < count:
            frame = self.next()
            found += [c["ticket_id"] for c in frame.get("data", {}).get("changes", [])]
        return found

    def close(self) -> None:
        self.response.close()


def as_system(tickets: Tickets, work: Any) -> None:
    with tickets.desk.app.app_context(), tickets.desk.engine.begin() as conn:
        work(TicketService(conn, Actor.system()))


def test_a_change_by_another_agent_reaches_the_queue_view_and_the_zoom(
    tickets: Tickets, setup: Setup, broker: str
) -> None:
    anna = tickets.agent("anna", {setup.sales_group: ("rw",)})
    ben = tickets.agent("ben", {setup.sales_group: ("rw",)})
    ticket_id = tickets.ticket(setup.sales, title="Printer jams")
    tn = tickets.row(ticket_id).tn
    queue_view, zoom = Stream(anna, "/agent/live/queues"), Stream(anna, f"/agent/live/tickets/{ticket_id}")

    high = id_of(tickets, "ticket_priority", "5 very high")
    assert ben.post(f"/agent/tickets/{ticket_id}/priority", {"priority": high}).status_code in (200, 303)

    for stream in (queue_view, zoom):
        event = stream.next()
        assert event["event"] == "change" and event["id"]
        (change,) = event["data"]["changes"]
        assert change == {
            "ticket_id": ticket_id,
            "tn": tn,
            "events": ["TicketPriorityUpdate"],
            "actor_id": ben.user_id,
            "actor": "ben Agent (ben)",
            "own": False,
        }
        assert event["data"]["notice"] == f"Ticket#{tn} changed by ben Agent (ben): priority."
    queue_view.close()
    zoom.close()


def test_own_changes_are_marked_and_bring_no_notice(tickets: Tickets, setup: Setup, broker: str) -> None:
    anna = tickets.agent("anna", {setup.sales_group: ("rw",)})
    ticket_id = tickets.ticket(setup.sales)
    stream = Stream(anna, f"/agent/live/tickets/{ticket_id}")
    closed = id_of(tickets, "ticket_state", "closed successful")
    assert anna.post(f"/agent/tickets/{ticket_id}/state", {"state": closed}).status_code in (200, 303)
    event = stream.next()
    (change,) = event["data"]["changes"]
    assert change["own"] is True and change["events"] == ["TicketStateUpdate"]
    assert event["data"]["notice"] == ""
    stream.close()


def test_an_agent_never_receives_changes_of_queues_they_cannot_read(
    tickets: Tickets, setup: Setup, broker: str
) -> None:
    ben = tickets.agent("ben", {setup.sales_group: ("rw",), setup.secret_group: ("rw",)})
    carl = tickets.agent("carl", {setup.secret_group: ("rw",)})  # Secret only
    sales_ticket, secret_ticket = tickets.ticket(setup.sales), tickets.ticket(setup.secret, title="Hush")
    stream = Stream(carl, "/agent/live/queues")

    high = id_of(tickets, "ticket_priority", "5 very high")
    assert ben.post(f"/agent/tickets/{sales_ticket}/priority", {"priority": high}).status_code in (200, 303)
    assert ben.post(f"/agent/tickets/{secret_ticket}/priority", {"priority": high}).status_code in (200, 303)

    event = stream.next()  # the Sales change never comes: the first is the Secret one
    assert [c["ticket_id"] for c in event["data"]["changes"]] == [secret_ticket]
    stream.close()

    refused = carl.get(f"/agent/live/tickets/{sales_ticket}", Accept="application/json")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["message"] == f"You need the 'ro' permission on ticket {sales_ticket}."
    narrowed = carl.get(f"/agent/live/queues?queue_id={setup.sales}", Accept="application/json")
    assert narrowed.status_code == 403
    assert narrowed.get_json()["error"]["message"] == f"You need the 'ro' permission on queue {setup.sales}."
    bad = carl.get("/agent/live/queues?queue_id=x", Accept="application/json")
    assert (bad.status_code, bad.get_json()["error"]["message"]) == (
        400,
        "Parameter 'queue_id' must be a whole number.",
    )


def test_all_my_queues_follows_my_own_and_watched_tickets_in_queues_i_cannot_read(
    tickets: Tickets, setup: Setup, broker: str
) -> None:
    carl = tickets.agent("carl", {setup.secret_group: ("rw",), setup.sales_group: ("rw",)})
    ben = tickets.agent("ben", {setup.sales_group: ("rw",)})
    owned = tickets.ticket(setup.sales, title="Mine")
    watched, other = tickets.ticket(setup.sales, title="Watched"), tickets.ticket(setup.sales, title="Other")
    as_system(tickets, lambda service: service.set_owner(owned, carl.user_id))
    with tickets.desk.app.app_context(), tickets.desk.engine.begin() as conn:
        TicketService(conn, Actor.agent(conn, carl.user_id)).watch(watched)
        group_user = T["group_user"]  # then carl leaves Sales: he reads Secret only, and his own tickets
        conn.execute(
            delete(group_user).where(group_user.c.user_id == carl.user_id, group_user.c.group_id == setup.sales_group)
        )
    stream, narrowed = Stream(carl, "/agent/live/queues"), Stream(carl, f"/agent/live/queues?queue_id={setup.secret}")

    high = id_of(tickets, "ticket_priority", "5 very high")
    for ticket_id in (other, owned, watched):  # Sales: carl reads only the first as owner and the second as watcher
        assert ben.post(f"/agent/tickets/{ticket_id}/priority", {"priority": high}).status_code in (200, 303)
    assert stream.changed(2) == [owned, watched]

    as_system(tickets, lambda service: service.set_owner(owned, ben.user_id))  # carl loses it: told once, then not
    as_system(tickets, lambda service: service.set_title(owned, "Ben's now"))
    as_system(tickets, lambda service: service.set_title(other, "Still not carl's"))
    as_system(tickets, lambda service: service.set_title(watched, "Renamed"))
    assert stream.changed(2) == [owned, watched]

    secret = tickets.ticket(setup.secret)  # the one-queue stream follows that queue only
    as_system(tickets, lambda service: service.set_title(secret, "Hush"))
    assert narrowed.changed(1) == [secret]
    assert stream.changed(1) == [secret]  # its creation, then its title: one or two frames, one ticket
    stream.close()
    narrowed.close()

    nobody = tickets.agent("nobody")  # no queue to read: still their own tickets to follow
    Stream(nobody, "/agent/live/queues").close()


def test_one_queue_stream_follows_that_queue_only_and_sees_tickets_leave_it(
    tickets: Tickets, setup: Setup, broker: str
) -> None:
    anna = tickets.agent("anna", {setup.sales_group: ("rw",)})
    leaving, staying = tickets.ticket(setup.sales), tickets.ticket(setup.phones)
    stream = Stream(anna, f"/agent/live/queues?queue_id={setup.sales}")

    as_system(tickets, lambda service: service.set_title(staying, "Elsewhere"))  # Sales::Phones: not followed
    as_system(tickets, lambda service: service.move(leaving, "Secret"))  # out of Sales, into a queue anna can't read

    (change,) = stream.next()["data"]["changes"]
    assert change["ticket_id"] == leaving and change["events"][0] == "TicketQueueUpdate"
    assert change["actor"].endswith("(root@localhost)")
    stream.close()


def test_the_zoom_stream_ends_when_the_ticket_is_no_longer_readable(
    tickets: Tickets, setup: Setup, broker: str
) -> None:
    anna = tickets.agent("anna", {setup.sales_group: ("rw",)})
    ticket_id = tickets.ticket(setup.sales)
    stream = Stream(anna, f"/agent/live/tickets/{ticket_id}")
    as_system(tickets, lambda service: service.move(ticket_id, "Secret"))
    event = stream.next()
    assert event["event"] == "gone" and event["data"] == {"notice": "You can no longer see this ticket."}
    with pytest.raises(StopIteration):
        stream.next()


def test_a_reconnecting_browser_gets_what_it_missed_and_the_page_position_works_too(
    tickets: Tickets, setup: Setup, broker: str
) -> None:
    anna = tickets.agent("anna", {setup.sales_group: ("rw",)})
    ticket_id = tickets.ticket(setup.sales)
    page = anna.html(f"/agent/tickets/{ticket_id}")
    since = page.split('data-live-since="', 1)[1].split('"', 1)[0]
    assert since == broker_for(current_platform(tickets.desk.app)).position() and since
    assert f'data-live-stream="/agent/live/tickets/{ticket_id}"' in page and "js/live.js" in page

    as_system(tickets, lambda service: service.set_title(ticket_id, "Changed while connecting"))
    first = Stream(anna, f"/agent/live/tickets/{ticket_id}?since={since}")
    event = first.next()
    assert event["data"]["changes"][0]["events"] == ["TicketTitleUpdate"]
    first.close()

    as_system(tickets, lambda service: service.set_title(ticket_id, "Changed while away"))
    again = Stream(anna, f"/agent/live/tickets/{ticket_id}?since={since}", **{"Last-Event-ID": event["id"]})
    assert again.next()["data"]["changes"][0]["events"] == ["TicketTitleUpdate"]  # only the one it missed
    again.close()

    lost = Stream(anna, f"/agent/live/tickets/{ticket_id}", **{"Last-Event-ID": "from-another-server"})
    assert lost.next() == {"event": "missed", "data": {"missed": True}}
    lost.close()


def test_the_queue_view_page_follows_its_queue(tickets: Tickets, setup: Setup) -> None:
    anna = tickets.agent("anna", {setup.sales_group: ("rw",)})
    page = anna.html(f"/agent/queues/{setup.sales}")
    assert f'data-live-stream="/agent/live/queues?queue_id={setup.sales}"' in page
    assert 'data-live-refresh="#gk-table"' in page
    assert 'data-live-stream="/agent/live/queues"' in anna.html("/agent/queues")
