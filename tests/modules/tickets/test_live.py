"""Ticket events out to the live broker (modules/tickets/live.py): what is published, when, on which channels,
and the notice sentence agents see."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from goatkit.live import MemoryBroker, use_broker
from goatkit.platform import Platform
from goatkit.settings import Settings
from modules.tickets import live
from modules.tickets.events import TicketEvent, bus
from modules.tickets.web.live_feeds import notice
from tests.modules.tickets import ticket_world
from tests.modules.tickets.ticket_world import MISC, RAW, Desk

database_url, engine, desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk  # fixtures


@pytest.fixture
def broker(desk: Desk, database_url: str, tmp_path: Path) -> Iterator[MemoryBroker]:
    app = Flask(__name__)
    platform = Platform(Settings(var_dir=tmp_path, database_url=database_url))
    platform.init_app(app)
    memory = MemoryBroker()
    use_broker(platform, memory)
    bus.after_commit_all("*")(live.publish)  # desk runs with an isolated bus: register the listener under test
    with app.app_context():
        yield memory
    platform.close()


def test_committed_changes_are_published_on_the_ticket_and_queue_channels(desk: Desk, broker: MemoryBroker) -> None:
    agent = desk.agent()
    created = desk.create()
    watch_ticket = broker.subscribe([live.ticket_channel(created.ticket_id)])
    watch_misc = broker.subscribe([live.queue_channel(MISC)])
    watch_raw = broker.subscribe([live.queue_channel(RAW)])

    owner = desk.ticket(created.ticket_id)["user_id"]
    watch_owner, watch_agent = (
        broker.subscribe([live.agent_channel(owner)]),
        broker.subscribe([live.agent_channel(agent)]),
    )

    desk.do(agent, "set_priority", created.ticket_id, "4 high")
    desk.do(agent, "move", created.ticket_id, "Misc")
    desk.do(agent, "set_owner", created.ticket_id, agent)

    payloads = [m.payload for m in watch_ticket.get(timeout=0)]
    same = {"ticket_id": created.ticket_id, "actor_id": agent, "responsible_ids": [owner]}
    assert payloads == [
        {**same, "queue_id": RAW, "queue_ids": [RAW], "events": ["TicketPriorityUpdate"], "owner_ids": [owner]},
        {**same, "queue_id": MISC, "queue_ids": [MISC, RAW], "events": ["TicketQueueUpdate"], "owner_ids": [owner]},
        {**same, "queue_id": MISC, "queue_ids": [MISC], "events": ["TicketOwnerUpdate"], "owner_ids": [agent, owner]},
    ]
    assert [m.payload["events"] for m in watch_raw.get(timeout=0)] == [["TicketPriorityUpdate"], ["TicketQueueUpdate"]]
    assert [m.payload["events"] for m in watch_misc.get(timeout=0)] == [["TicketQueueUpdate"], ["TicketOwnerUpdate"]]
    owner_heard = [m.payload["events"] for m in watch_owner.get(timeout=0)]  # the owner, and the one who had it
    assert owner_heard == [["TicketPriorityUpdate"], ["TicketQueueUpdate"], ["TicketOwnerUpdate"]]
    assert [m.payload["events"] for m in watch_agent.get(timeout=0)] == [["TicketOwnerUpdate"]]  # the new owner


def test_nothing_is_published_before_the_commit_nor_after_a_rollback(desk: Desk, broker: MemoryBroker) -> None:
    created = desk.create()
    watch = broker.subscribe([live.ticket_channel(created.ticket_id)])
    with desk.engine.connect() as conn:
        desk.service(conn).set_priority(created.ticket_id, "1 very low")
        assert watch.get(timeout=0) == []
        conn.rollback()
    assert watch.get(timeout=0) == []
    with desk.engine.begin() as conn:
        desk.service(conn).set_title(created.ticket_id, "Renamed")
        assert watch.get(timeout=0) == []  # not yet: another process could not read it
    assert [m.payload["events"] for m in watch.get(timeout=0)] == [["TicketTitleUpdate"]]


def test_a_new_ticket_is_announced_once_without_its_content(desk: Desk, broker: MemoryBroker) -> None:
    watch = broker.subscribe([live.queue_channel(RAW)])
    created = desk.create(title="Secret plans")
    messages = watch.get(timeout=0)
    assert [m.payload["events"] for m in messages] == [["TicketCreate", "ArticleCreate"]]  # ArticleSend is quiet
    assert messages[0].payload["article_id"] == created.article_id
    assert "Secret plans" not in repr([m.payload for m in messages])


def test_one_message_per_ticket_and_transaction_on_every_queue_it_passed() -> None:
    events = [
        TicketEvent("TicketPriorityUpdate", 5, None, 3, queue_id=2),
        TicketEvent("TicketStateUpdate", 6, None, 3, queue_id=2),
        TicketEvent("TicketQueueUpdate", 5, None, 4, {"old_queue_id": 2}, queue_id=7),
        TicketEvent("TicketPriorityUpdate", 5, None, 4, queue_id=7),
        TicketEvent("ArticleCreate", 5, 40, 4, queue_id=7),
        TicketEvent("ArticleSend", 5, 40, 4, queue_id=7),  # quiet
    ]
    assert live.messages_of(events) == [
        (
            ["ticket:5", "queue:2", "queue:7"],
            {
                "ticket_id": 5,
                "queue_id": 7,
                "queue_ids": [2, 7],
                "events": ["TicketPriorityUpdate", "TicketQueueUpdate", "ArticleCreate"],
                "actor_id": 4,
                "article_id": 40,
            },
        ),
        (
            ["ticket:6", "queue:2"],
            {"ticket_id": 6, "queue_id": 2, "queue_ids": [2], "events": ["TicketStateUpdate"], "actor_id": 3},
        ),
    ]


def test_a_merge_reaches_the_main_ticket_too() -> None:
    event = TicketEvent("TicketMerge", 5, None, 3, {"main_ticket_id": 9}, queue_id=2)
    [(channels, payload)] = live.messages_of([event])
    assert channels == ["ticket:5", "queue:2", "ticket:9"]
    assert payload == {"ticket_id": 5, "queue_id": 2, "queue_ids": [2], "events": ["TicketMerge"], "actor_id": 3}


def test_publishing_outside_an_app_does_nothing() -> None:
    live.publish([TicketEvent("TicketTitleUpdate", 1, queue_id=2)])  # a bare script: no broker, no error


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ([], ""),
        ([{"tn": "42", "events": ["TicketPriorityUpdate"], "actor": "Ben"}], "Ticket#42 changed by Ben: priority."),
        (
            [{"tn": "42", "events": ["TicketStateUpdate", "TicketLockUpdate", "TicketFooUpdate"], "actor": "Ben"}],
            "Ticket#42 changed by Ben: state, lock.",
        ),
        ([{"tn": "42", "events": ["TicketCreate", "ArticleCreate"], "actor": "Ben"}], "Ticket#42 created by Ben."),
        ([{"tn": "42", "events": ["TicketCreate"], "actor": "Ben"}], "Ticket#42 created by Ben."),
        ([{"tn": "42", "events": ["TicketSubscribe"], "actor": "Ben"}], "Ticket#42 changed by Ben."),
        (
            [{"tn": "1", "events": ["TicketStateUpdate"], "actor": "Ben"}] * 2
            + [{"tn": "3", "events": [], "actor": "Ben"}],
            "3 tickets changed by Ben.",
        ),
        ([{"tn": "1", "events": [], "actor": "Ben"}, {"tn": "2", "events": [], "actor": "Ann"}], "2 tickets changed."),
    ],
)
def test_the_notice_says_what_changed_and_who_did_it(changes: list[dict[str, object]], expected: str) -> None:
    assert notice(changes) == expected
