"""Live updates, the publishing side: every committed ticket event becomes a small message on the live broker.

An after-commit listener publishes one message per changed ticket and transaction (no ticket content):
``{"ticket_id", "queue_id", "queue_ids", "events", "actor_id", "owner_ids", "responsible_ids"}`` (plus
``article_id`` when an article was added): the queue it is in now, every queue it was in during the transaction, the
event names in order, the last actor, every owner and responsible it had; on the channels ``ticket:<id>``,
``queue:<id>`` of each of those queues and ``agent:<id>`` of each of those agents (a merge also on the main
ticket).  An agent reads the tickets they own (or are responsible for) in any queue, so their queue view follows
their ``agent:`` channel too, and a ticket given to another agent still reaches the one who had it.  Only
committed changes are published, so a page that refreshes on the message reads them.  The agents' streams and
what they pass on are in ``modules/tickets/web/live.py`` and ``web/live_feeds.py``.

Importing this module registers the listener; ``modules.tickets.web.live`` (a route module) imports it, so every
process built by ``create_app`` publishes, daemons included (their messages reach browsers through Redis).

Example::

    [(channels, payload)] = messages_of([TicketEvent("TicketPriorityUpdate", 12, actor_id=7, queue_id=2)])
    # ["ticket:12", "queue:2"], {"ticket_id": 12, "events": ["TicketPriorityUpdate"], "queue_ids": [2],
    #                            "queue_id": 2, "actor_id": 7}    (events of a Change name owners: "agent:<id>")
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import has_app_context

from goatkit.live import broker_for
from goatkit.platform import current_platform
from modules.tickets.events import TicketEvent, after_commit_all

#: Bookkeeping events that change nothing an agent sees: not published.
QUIET = frozenset({"TicketUnlockTimeoutUpdate", "ArticleSend"})


def ticket_channel(ticket_id: int) -> str:
    return f"ticket:{ticket_id}"


def queue_channel(queue_id: int) -> str:
    return f"queue:{queue_id}"


def agent_channel(user_id: int) -> str:
    return f"agent:{user_id}"


def messages_of(events: Iterable[TicketEvent]) -> list[tuple[list[str], dict[str, Any]]]:
    """The channels and payload published for a transaction's events: one message per ticket, in the order the
    tickets first changed (an agent's page refreshes a ticket once, however many of its attributes changed)."""
    merged: dict[int, tuple[list[str], dict[str, Any]]] = {}
    for event in events:
        if event.name in QUIET:
            continue
        channels, payload = merged.setdefault(
            event.ticket_id,
            ([ticket_channel(event.ticket_id)], {"ticket_id": event.ticket_id, "events": [], "queue_ids": []}),
        )
        payload["queue_id"], payload["actor_id"] = event.queue_id, event.actor_id  # where it is now, who did it
        if event.name not in payload["events"]:
            payload["events"].append(event.name)
        queues = [event.queue_id]
        if event.name == "TicketQueueUpdate" and event.data.get("old_queue_id"):
            queues.append(int(event.data["old_queue_id"]))
        for queue_id in queues:
            if queue_id is not None and queue_id not in payload["queue_ids"]:
                payload["queue_ids"].append(queue_id)
                channels.append(queue_channel(queue_id))
        for key, agents in (("owner_ids", event.owners), ("responsible_ids", event.responsibles)):
            for user_id in agents:
                if user_id not in payload.setdefault(key, []):
                    payload[key].append(user_id)
                    if agent_channel(user_id) not in channels:
                        channels.append(agent_channel(user_id))
        main = event.data.get("main_ticket_id")
        if event.name == "TicketMerge" and main and ticket_channel(int(main)) not in channels:
            channels.append(ticket_channel(int(main)))
        if event.article_id is not None:
            payload["article_id"] = event.article_id
    return list(merged.values())


@after_commit_all("*")
def publish(events: list[TicketEvent]) -> None:
    """Tell the app's live broker about a transaction's committed ticket events, in one exchange (nothing outside an
    app, e.g. a bare script)."""
    messages = messages_of(events)
    if messages and has_app_context():
        broker_for(current_platform()).publish_many(messages)
