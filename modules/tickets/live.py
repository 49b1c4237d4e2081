"""Live updates, the publishing side: every committed ticket event becomes a small message on the live broker.

An after-commit listener publishes one message per event (no ticket content):
``{"ticket_id", "queue_id", "event", "actor_id"}`` (plus ``old_queue_id`` on a move, ``article_id`` for article
events) on the channels ``ticket:<id>`` and ``queue:<queue id>`` (a move also on the old queue, a merge also on the
main ticket).  Only committed changes are published, so a page that refreshes on the message reads them.  The
agents' streams and what they pass on are in ``modules/tickets/web/live.py`` and ``web/live_feeds.py``.

Importing this module registers the listener; ``modules.tickets.web.live`` (a route module) imports it, so every
process built by ``create_app`` publishes, daemons included (their messages reach browsers through Redis).

Example::

    channels, payload = message_of(TicketEvent("TicketPriorityUpdate", 12, actor_id=7, queue_id=2))
    # (["ticket:12", "queue:2"], {"ticket_id": 12, "queue_id": 2, "event": "TicketPriorityUpdate", "actor_id": 7})
"""

from __future__ import annotations

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


def message_of(event: TicketEvent) -> tuple[list[str], dict[str, Any]]:
    """The channels and payload published for a ticket event."""
    channels = [ticket_channel(event.ticket_id)]
    payload: dict[str, Any] = {
        "ticket_id": event.ticket_id,
        "queue_id": event.queue_id,
        "event": event.name,
        "actor_id": event.actor_id,
    }
    if event.queue_id is not None:
        channels.append(queue_channel(event.queue_id))
    old_queue = event.data.get("old_queue_id")
    if event.name == "TicketQueueUpdate" and old_queue:
        payload["old_queue_id"] = int(old_queue)
        channels.append(queue_channel(int(old_queue)))
    main = event.data.get("main_ticket_id")
    if event.name == "TicketMerge" and main:
        channels.append(ticket_channel(int(main)))
    if event.article_id is not None:
        payload["article_id"] = event.article_id
    return channels, payload


@after_commit_all("*")
def publish(events: list[TicketEvent]) -> None:
    """Tell the app's live broker about a transaction's committed ticket events, in one exchange (nothing outside an
    app, e.g. a bare script)."""
    messages = [message_of(event) for event in events if event.name not in QUIET]
    if messages and has_app_context():
        broker_for(current_platform()).publish_many(messages)
