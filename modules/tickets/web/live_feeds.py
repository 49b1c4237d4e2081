"""What an agent's live stream passes on: the feeds filter a batch of messages and tell the browser what changed.

- :class:`TicketFeed` (the zoom): re-reads the ticket's permission facts once per batch (one primary-key query), so
  an agent who lost the ticket (moved to a queue they cannot read) gets a final ``gone`` event and nothing more.
- :class:`QueueFeed` (the queue view): subscribed to the queues the agent may read (``ro``, read when the stream
  starts; a stream lasts a minute), it drops any message whose queues are not among them, unless the view lists
  the agent's own tickets too ("all my queues"): then it passes messages naming the agent as owner (or, with
  ``Ticket::Responsible``, responsible), before or after the change, and those of the tickets the agent watches in
  other queues (``Ticket::Watcher``; their ``ticket:`` channels, read when the stream starts).

A batch becomes one ``change`` event: a line per ticket (its events merged) and one sentence for the notice about
other agents' changes.  Each batch costs at most two queries (ticket numbers, agent names), both cached for the
life of the stream.

Example::

    feed = QueueFeed(engine=engine, viewer_id=7, queue_ids=frozenset({2, 5}), own=True, watched=frozenset({90}))
    for event in feed.render(messages):   # goatkit.live_sse.SSEEvent
        ...  # {"changes": [{"ticket_id": 12, "tn": "2024...", "events": [...], "own": False, ...}], "notice": ...}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from goatkit.live import Message
from goatkit.live_sse import SSEEvent
from modules.db.schema import metadata
from modules.permissions.agent import PermissionMap, grants_ticket
from modules.permissions.options import PermissionOptions
from modules.permissions.queries import ticket_facts
from modules.tickets.web.queries import user_names

T = metadata.tables

#: What the notice calls each event (events not listed count as "changed").
WHAT = {
    "TicketCreate": "created",
    "ArticleCreate": "new article",
    "TicketStateUpdate": "state",
    "TicketQueueUpdate": "queue",
    "TicketOwnerUpdate": "owner",
    "TicketResponsibleUpdate": "responsible",
    "TicketPriorityUpdate": "priority",
    "TicketLockUpdate": "lock",
    "TicketPendingTimeUpdate": "pending time",
    "TicketTitleUpdate": "title",
    "TicketCustomerUpdate": "customer",
    "TicketTypeUpdate": "type",
    "TicketServiceUpdate": "service",
    "TicketSLAUpdate": "SLA",
    "TicketMerge": "merged",
    "TicketLinkAdd": "links",
    "TicketLinkDelete": "links",
}


@dataclass(kw_only=True)
class Feed:
    """What the streams share: the viewer, a cache of ticket numbers and agent names, and the batch summary."""

    engine: Engine
    viewer_id: int
    _numbers: dict[int, str] = field(default_factory=dict, init=False)
    _names: dict[int, str] = field(default_factory=dict, init=False)

    def summary(self, messages: Iterable[Message]) -> SSEEvent | None:
        """One ``change`` event for the batch: a line per ticket (events merged) and the notice sentence."""
        changes: dict[int, dict[str, Any]] = {}
        for message in messages:
            ticket_id, actor_id = int(message.payload["ticket_id"]), int(message.payload["actor_id"])
            entry = changes.setdefault(ticket_id, {"ticket_id": ticket_id, "events": [], "actor_id": actor_id})
            entry["events"].extend(name for name in message.payload["events"] if name not in entry["events"])
            entry["actor_id"] = actor_id  # the latest change names the agent
        if not changes:
            return None
        self._learn([t for t in changes if t not in self._numbers], [c["actor_id"] for c in changes.values()])
        for entry in changes.values():
            entry["tn"] = self._numbers.get(entry["ticket_id"], str(entry["ticket_id"]))
            entry["actor"] = self._names.get(entry["actor_id"], f"agent {entry['actor_id']}")
            entry["own"] = entry["actor_id"] == self.viewer_id
        listed = list(changes.values())
        return SSEEvent({"changes": listed, "notice": notice([c for c in listed if not c["own"]])}, event="change")

    def _learn(self, ticket_ids: list[int], actor_ids: list[int]) -> None:
        unknown_actors = [i for i in set(actor_ids) if i not in self._names]
        if not ticket_ids and not unknown_actors:
            return
        ticket = T["ticket"]
        with self.engine.connect() as conn:
            if ticket_ids:
                rows = conn.execute(select(ticket.c.id, ticket.c.tn).where(ticket.c.id.in_(ticket_ids)))
                self._numbers.update({row.id: str(row.tn) for row in rows})
            if unknown_actors:
                self._names.update(user_names(conn, unknown_actors))


def notice(changes: list[dict[str, Any]]) -> str:
    """The sentence shown for other agents' changes ("" for none): "Ticket#2024... changed by Jane: state."."""
    if not changes:
        return ""
    actors = sorted({c["actor"] for c in changes})
    by = f" by {actors[0]}" if len(actors) == 1 else ""
    if len(changes) > 1:
        return f"{len(changes)} tickets changed{by}."
    entry = changes[0]
    what = list(dict.fromkeys(WHAT.get(name, "changed") for name in entry["events"]))
    if "created" in what:
        return f"Ticket#{entry['tn']} created{by}."
    details = ", ".join(w for w in what if w not in ("created", "changed"))
    return f"Ticket#{entry['tn']} changed{by}" + (f": {details}." if details else ".")


@dataclass(kw_only=True)
class TicketFeed(Feed):
    """The zoom's feed: one ticket, its access checked again on every batch."""

    ticket_id: int
    permissions: PermissionMap
    options: PermissionOptions

    def render(self, messages: list[Message]) -> list[SSEEvent]:
        with self.engine.connect() as conn:
            facts = ticket_facts(conn, self.ticket_id, watcher_id=self.viewer_id)
        if facts is None or not grants_ticket(self.permissions, facts, "ro", self.options):
            return [SSEEvent({"notice": "You can no longer see this ticket."}, event="gone", final=True)]
        mine = [m for m in messages if m.payload.get("ticket_id") == self.ticket_id]
        summary = self.summary(mine or messages)  # a merge into this ticket names the merged one
        return [summary] if summary else []


@dataclass(kw_only=True)
class QueueFeed(Feed):
    """The queue view's feed: messages about tickets in (or moved out of) the queues the agent may read; with
    ``own``, also about the tickets the agent owns (``responsible``: is responsible for) or watches (``watched``)."""

    queue_ids: frozenset[int]
    own: bool = False
    responsible: bool = False
    watched: frozenset[int] = frozenset()

    def render(self, messages: list[Message]) -> list[SSEEvent]:
        visible = [m for m in messages if self._visible(m.payload)]
        summary = self.summary(visible)
        return [summary] if summary else []

    def _visible(self, payload: Any) -> bool:
        if not self.queue_ids.isdisjoint(payload.get("queue_ids", ())):
            return True
        if not self.own:
            return False
        me = self.viewer_id
        if me in payload.get("owner_ids", ()) or payload.get("ticket_id") in self.watched:
            return True
        return self.responsible and me in payload.get("responsible_ids", ())
