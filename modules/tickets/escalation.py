"""Escalation times: OTRS's ``TicketEscalationIndexBuild``, kept current on every change that can move them.

A ticket's service goals come from its SLA when it has one, otherwise from its queue (``first_response_time``,
``update_time``, ``solution_time`` in minutes, each with a ``*_notify`` percentage, and ``calendar_name``).  The
times count in working time of that calendar (``modules/tickets/calendars.py``).  The four ``ticket`` columns hold
epochs, 0 meaning "none", exactly as OTRS fills them:

* **response** = created + first response time; 0 once an agent wrote a customer-visible article (the first
  response), or when not configured;
* **update** = reference + update time, where the reference walks the articles backwards from the newest: the
  newest article is the starting value; internal articles and other senders than agent/customer are skipped; an
  agent article ends the walk and is the reference, unless customer articles came after it, in which case the
  oldest customer article of that newest run is.  0 when not configured, while the state is pending, or with no
  article;
* **solution** = created + solution time; 0 once the ticket was ever closed (a StateUpdate or NewTicket history
  row with a closed state), or when not configured;
* **escalation_time** = the earliest non-zero of the three; all four are 0 for closed, merged and removed tickets.

:func:`rebuild` recomputes any number of tickets with a fixed number of statements (tickets with their queue and
SLA goals; articles and close history only where needed; calendars; one executemany UPDATE of the rows that
changed).  The listener :func:`_rebuild_after_write` runs it once per write (``events.after_batch``) for the tickets
whose events can move the times (OTRS's 9990-EscalationIndex event list).  When a ticket that was escalated is no
longer (answered, moved, closed), it raises ``Escalation<Kind>TimeStop`` with history ``%%<Event>%%triggered``
(OTRS's 4300-EscalationStopEvents); the notify-before and start events are the periodic check's
(``modules/tickets/escalation_check.py``).

Example::

    rebuild(conn, [ticket_id])       # after an admin changed a queue's goals, say
    destinations(created, "open", goals, calendar, articles, ever_closed=False).escalation
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, bindparam, exists, or_, select, update

from goatkit.worktime import WorkingCalendar
from modules.db.schema import metadata
from modules.tickets import history
from modules.tickets.calendars import load_calendars
from modules.tickets.changes import from_epoch, to_epoch
from modules.tickets.events import TicketEvent, after_batch, bus, emit
from modules.tickets.refs import Refs

T = metadata.tables
CHUNK = 1000
SYSTEM_USER_ID = 1
KINDS = ("response", "update", "solution")
COLUMNS = {
    "response": "escalation_response_time",
    "update": "escalation_update_time",
    "solution": "escalation_solution_time",
}
#: OTRS's event (and history type) names per kind: Escalation<Kind>Time<Start|NotifyBefore|Stop>.
EVENT_KIND = {"response": "Response", "update": "Update", "solution": "Solution"}
ESCALATION_EVENTS = tuple(
    f"Escalation{EVENT_KIND[kind]}Time{what}" for what in ("Start", "NotifyBefore", "Stop") for kind in KINDS
)
#: Events that can move the times (OTRS 9990-EscalationIndex), plus the dynamic-field events by prefix.
TRIGGERS = frozenset(
    {
        "TicketCreate",
        "ArticleCreate",
        "TicketStateUpdate",
        "TicketQueueUpdate",
        "TicketSLAUpdate",
        "TicketServiceUpdate",
        "TicketTypeUpdate",
        "TicketCustomerUpdate",
        "TicketPriorityUpdate",
        "TicketMerge",
        "TicketPendingTimeUpdate",
    }
)
DYNAMIC_FIELD_PREFIX = "TicketDynamicFieldUpdate"
NO_ESCALATION = ("closed", "merged", "removed")

bus.declare(*ESCALATION_EVENTS)


@dataclass(frozen=True)
class Goals:
    """Service goals in minutes (0: none) and notify percentages, from an SLA or a queue; ``calendar`` its name."""

    first_response_time: int = 0
    first_response_notify: int = 0
    update_time: int = 0
    update_notify: int = 0
    solution_time: int = 0
    solution_notify: int = 0
    calendar: str = ""

    @property
    def any(self) -> bool:
        return bool(self.first_response_time or self.update_time or self.solution_time)

    def minutes(self, kind: str) -> int:
        """The goal of ``kind`` (response, update, solution) in minutes."""
        return int(getattr(self, _GOAL_NAME[kind] + "_time"))

    def notify(self, kind: str) -> int:
        """The share of ``kind``'s working time (percent) after which to warn; 0: never."""
        return int(getattr(self, _GOAL_NAME[kind] + "_notify"))


_GOAL_NAME = {"response": "first_response", "update": "update", "solution": "solution"}


@dataclass(frozen=True)
class ArticleFact:
    """What escalation reads of an article: its sender type, visibility and creation time."""

    sender: str
    visible: bool
    created: datetime


@dataclass(frozen=True)
class Destinations:
    """The three destination epochs (0: none)."""

    response: int = 0
    update: int = 0
    solution: int = 0

    @property
    def escalation(self) -> int:
        """The earliest non-zero destination, 0 when there is none (``ticket.escalation_time``)."""
        return min((value for value in (self.response, self.update, self.solution) if value), default=0)

    def of(self, kind: str) -> int:
        return int(getattr(self, kind))

    def columns(self) -> dict[str, int]:
        values = {COLUMNS[kind]: self.of(kind) for kind in KINDS}
        values["escalation_time"] = self.escalation
        return values


def update_reference(articles: Sequence[ArticleFact]) -> datetime | None:
    """The moment the update time counts from (OTRS's backward walk; see the module docstring)."""
    reference: datetime | None = None
    customer_run = False
    for article in reversed(articles):
        if reference is None:
            reference = article.created
        if not article.visible or article.sender not in ("agent", "customer"):
            continue
        if article.sender == "agent":
            if customer_run:
                break
            return article.created
        customer_run = True
        reference = article.created
    return reference


def destinations(
    created: datetime,
    state_type: str,
    goals: Goals,
    calendar: WorkingCalendar,
    articles: Sequence[ArticleFact],
    *,
    ever_closed: bool,
) -> Destinations:
    """The destination epochs of a ticket created at ``created`` (naive UTC), articles oldest first."""
    if state_type.startswith(NO_ESCALATION) or not goals.any:
        return Destinations()

    def due(start: datetime, minutes: int) -> int:
        return to_epoch(calendar.add(start, minutes * 60))

    response = update = solution = 0
    if goals.first_response_time and not any(a.sender == "agent" and a.visible for a in articles):
        response = due(created, goals.first_response_time)
    if goals.update_time and not state_type.startswith("pending"):
        reference = update_reference(articles)
        if reference is not None:
            update = due(reference, goals.update_time)
    if goals.solution_time and not ever_closed:
        solution = due(created, goals.solution_time)
    return Destinations(response, update, solution)


# --- reading tickets with their goals -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketGoals:
    """A ticket as escalation sees it: its ids, times, state type, goals and current destinations."""

    id: int
    created: datetime
    changed: datetime
    state_type: str
    goals: Goals
    current: Destinations
    stored_escalation: int
    queue_id: int
    type_id: int | None
    owner_id: int
    priority_id: int
    state_id: int


def _goals(row: Any, prefix: str) -> Goals:
    values = {name: int(getattr(row, f"{prefix}{name}") or 0) for name in _GOAL_COLUMNS}
    return Goals(**values, calendar=(getattr(row, f"{prefix}calendar_name") or "").strip())


GOAL_NAMES = ("first_response_time", "update_time", "solution_time")
"""The goals (minutes; 0: none) of a queue or an SLA."""
_GOAL_COLUMNS = (
    "first_response_time",
    "first_response_notify",
    "update_time",
    "update_notify",
    "solution_time",
    "solution_notify",
)


@cache
def _goals_query() -> Select[Any]:
    """The tickets (``ids``) with their queue's and SLA's goals: built once, compiled once."""
    ticket, queue, sla = T["ticket"], T["queue"], T["sla"]
    goal_columns = [queue.c[name].label(f"q_{name}") for name in (*_GOAL_COLUMNS, "calendar_name")] + [
        sla.c[name].label(f"s_{name}") for name in (*_GOAL_COLUMNS, "calendar_name")
    ]
    return (
        select(
            ticket.c.id,
            ticket.c.create_time,
            ticket.c.change_time,
            ticket.c.ticket_state_id,
            ticket.c.queue_id,
            ticket.c.type_id,
            ticket.c.user_id,
            ticket.c.ticket_priority_id,
            ticket.c.escalation_time,
            sla.c.id.label("s_id"),
            *[ticket.c[column] for column in COLUMNS.values()],
            *goal_columns,
        )
        .select_from(ticket.join(queue, queue.c.id == ticket.c.queue_id).outerjoin(sla, sla.c.id == ticket.c.sla_id))
        .where(ticket.c.id.in_(bindparam("ids", expanding=True)))
    )


@cache
def _escalating_goals_query() -> Select[Any]:
    """:func:`_goals_query` for the tickets with something to compute or to reset: goals (the SLA's when the
    ticket has an SLA, else the queue's) or a stored escalation time.  The others keep zeros: nothing to write."""
    ticket = T["ticket"]
    stored = [ticket.c[name] != 0 for name in ("escalation_time", *COLUMNS.values())]
    return _goals_query().where(or_(*stored, has_goals(ticket.c.queue_id, ticket.c.sla_id)))


def read_goals(
    conn: Connection, refs: Refs, ticket_ids: Iterable[int], *, escalating_only: bool = False
) -> list[TicketGoals]:
    """The tickets with their goals (SLA when the ticket has one, else queue), one statement per thousand;
    ``escalating_only`` leaves out tickets without goals and without stored escalation times."""
    ids = sorted(set(ticket_ids))
    query = _escalating_goals_query() if escalating_only else _goals_query()
    result = []
    for start in range(0, len(ids), CHUNK):
        for row in conn.execute(query, {"ids": ids[start : start + CHUNK]}):
            state = refs.state(row.ticket_state_id, valid=False)
            result.append(
                TicketGoals(
                    id=row.id,
                    created=row.create_time,
                    changed=row.change_time,
                    state_type=state.type_name,
                    goals=_goals(row, "s_" if row.s_id is not None else "q_"),
                    current=Destinations(*(int(getattr(row, COLUMNS[kind]) or 0) for kind in KINDS)),
                    stored_escalation=int(row.escalation_time or 0),
                    queue_id=row.queue_id,
                    type_id=row.type_id,
                    owner_id=row.user_id,
                    priority_id=row.ticket_priority_id,
                    state_id=row.ticket_state_id,
                )
            )
    return result


def _articles(conn: Connection, refs: Refs, ticket_ids: Collection[int]) -> dict[int, list[ArticleFact]]:
    article = T["article"]
    found: dict[int, list[ArticleFact]] = {ticket_id: [] for ticket_id in ticket_ids}
    ids = sorted(ticket_ids)
    for start in range(0, len(ids), CHUNK):
        query = (
            select(article.c.ticket_id, article.c.article_sender_type_id, article.c.is_visible_for_customer)
            .add_columns(article.c.create_time)
            .where(article.c.ticket_id.in_(ids[start : start + CHUNK]))
            .order_by(article.c.ticket_id, article.c.create_time, article.c.id)
        )
        for row in conn.execute(query):
            sender = refs.name("sender_type", row.article_sender_type_id)
            found[row.ticket_id].append(ArticleFact(sender, bool(row.is_visible_for_customer), row.create_time))
    return found


def _ever_closed(conn: Connection, refs: Refs, ticket_ids: Collection[int]) -> set[int]:
    """Tickets with a history row that put them in a closed state (OTRS's ``_TicketGetClosed``)."""
    closed_ids = refs.state_ids(["closed"])
    if not ticket_ids or not closed_ids:
        return set()
    table = T["ticket_history"]
    kinds = [refs.history_type_id("StateUpdate"), refs.history_type_id("NewTicket")]
    ids = sorted(ticket_ids)
    found: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        query = (
            select(table.c.ticket_id)
            .distinct()
            .where(
                and_(
                    table.c.ticket_id.in_(ids[start : start + CHUNK]),
                    table.c.state_id.in_(closed_ids),
                    table.c.history_type_id.in_(kinds),
                )
            )
        )
        found.update(conn.execute(query).scalars())
    return found


# --- rebuilding -------------------------------------------------------------------------------------------------


def compute(conn: Connection, refs: Refs, tickets: Sequence[TicketGoals]) -> dict[int, Destinations]:
    """Fresh destinations of ``tickets``: articles, close history and calendars read once for all of them."""
    active = [t for t in tickets if t.goals.any and not t.state_type.startswith(NO_ESCALATION)]
    result = {t.id: Destinations() for t in tickets}
    if not active:
        return result
    need_articles = {
        t.id
        for t in active
        if t.goals.first_response_time or (t.goals.update_time and not t.state_type.startswith("pending"))
    }
    articles = _articles(conn, refs, need_articles) if need_articles else {}
    closed = _ever_closed(conn, refs, {t.id for t in active if t.goals.solution_time})
    calendars = load_calendars(conn)
    for t in active:
        result[t.id] = destinations(
            t.created,
            t.state_type,
            t.goals,
            calendars.get(t.goals.calendar),
            articles.get(t.id, []),
            ever_closed=t.id in closed,
        )
    return result


def rebuild(conn: Connection, ticket_ids: Iterable[int], *, actor_id: int = SYSTEM_USER_ID) -> dict[int, Destinations]:
    """Recompute and store the escalation columns of the tickets; raise Stop events for ended escalations.  Returns
    the fresh destinations of the tickets that have goals or had escalation times (the others have none)."""
    refs = Refs(conn)
    tickets = read_goals(conn, refs, ticket_ids, escalating_only=True)
    fresh = compute(conn, refs, tickets)
    changed = [t for t in tickets if fresh[t.id] != t.current or fresh[t.id].escalation != t.stored_escalation]
    if changed:
        ticket = T["ticket"]
        statement = (
            update(ticket)
            .where(ticket.c.id == bindparam("ticket_id"))
            .values({column: bindparam(column) for column in ("escalation_time", *COLUMNS.values())})
        )
        conn.execute(statement, [{"ticket_id": t.id, **fresh[t.id].columns()} for t in changed])
        _stop_events(conn, refs, changed, fresh, actor_id)
    return fresh


def _stop_events(
    conn: Connection, refs: Refs, tickets: Sequence[TicketGoals], fresh: dict[int, Destinations], actor_id: int
) -> None:
    """OTRS's TriggerEscalationStopEvents: a destination that had passed and now has not (or is gone)."""
    entries: list[history.Entry] = []
    events: list[TicketEvent] = []
    for t in tickets:
        now = to_epoch(t.changed)  # the moment of the change that moved the times
        for kind in KINDS:
            old, new = t.current.of(kind), fresh[t.id].of(kind)
            if 0 < old <= now and not 0 < new <= now:
                name = f"Escalation{EVENT_KIND[kind]}TimeStop"
                entries.append(history_entry(t, name))
                events.append(TicketEvent(name, t.id, None, actor_id, queue_id=t.queue_id, owners=(t.owner_id,)))
    if entries:
        history.write(conn, refs, entries, actor_id=actor_id, now=max(t.changed for t in tickets))
        for ticket_event in events:
            emit(conn, ticket_event)


def history_entry(ticket: TicketGoals, event_name: str) -> history.Entry:
    """The history row OTRS writes for an escalation event: ``%%<Event>%%triggered``."""
    return history.Entry(
        ticket_id=ticket.id,
        history_type=event_name,
        name=f"%%{event_name}%%triggered",
        queue_id=ticket.queue_id,
        type_id=ticket.type_id or 1,
        owner_id=ticket.owner_id,
        priority_id=ticket.priority_id,
        state_id=ticket.state_id,
    )


def triggers(ticket_event: TicketEvent) -> bool:
    """Whether the event can move a ticket's escalation times."""
    return ticket_event.name in TRIGGERS or ticket_event.name.startswith(DYNAMIC_FIELD_PREFIX)


NO_GOALS = "escalation_goals"
"""``TicketCreate`` data key: ``False`` when the statement that inserted the ticket found no goals for it
(:func:`has_goals`), so the rebuild after its creation has nothing to compute, write or reset."""


def has_goals(queue_id: Any, sla_id: Any) -> ColumnElement[bool]:
    """Whether a ticket with this queue and SLA (columns or values) has escalation goals: its SLA's when it has
    one, else its queue's, as :func:`read_goals` takes them.  The one statement of the rule: the rebuild's read of
    escalating tickets and the insert of a new ticket both ask it."""
    queue, sla = T["queue"].alias("goal_queue"), T["sla"].alias("goal_sla")  # never correlated to a caller's own
    of_sla = select(sla.c.id).where(sla.c.id == sla_id)
    return or_(
        exists(of_sla.where(or_(*(sla.c[name] > 0 for name in GOAL_NAMES)))),
        and_(
            ~exists(of_sla),
            exists(select(queue.c.id).where(queue.c.id == queue_id, or_(*(queue.c[name] > 0 for name in GOAL_NAMES)))),
        ),
    )


@after_batch
def _rebuild_after_write(conn: Connection, events: Sequence[TicketEvent]) -> None:
    ticket_ids: set[int] = set()
    actor_id = SYSTEM_USER_ID
    created_without_goals = {e.ticket_id for e in events if e.name == "TicketCreate" and e.data.get(NO_GOALS) is False}
    for ticket_event in events:
        if ticket_event.ticket_id in created_without_goals:  # this batch is its creation: zeros stay zeros
            continue
        if triggers(ticket_event):
            ticket_ids.add(ticket_event.ticket_id)
            actor_id = ticket_event.actor_id
            main_ticket_id = ticket_event.data.get("main_ticket_id")
            if main_ticket_id:  # a merge moves the articles to the main ticket
                ticket_ids.add(int(main_ticket_id))
    if ticket_ids:
        rebuild(conn, ticket_ids, actor_id=actor_id)


def destination_moment(epoch: int) -> datetime | None:
    """An escalation column as a naive UTC datetime (None for 0)."""
    return from_epoch(epoch) if epoch else None


@dataclass(frozen=True)
class TimeLeft:
    """How a destination reads on screen: ``2h 10m left`` (amber within the warning), ``overdue 35m`` (red)."""

    text: str
    tone: str
    due: datetime


def time_left(epoch: int, now: datetime, *, warn_minutes: int = 60) -> TimeLeft | None:
    """Wall-clock time from ``now`` to the destination ``epoch`` (None for 0), as the screens show it.

    >>> time_left(to_epoch(datetime(2024, 3, 15, 14, 10)), datetime(2024, 3, 15, 12, 0)).text
    '2h 10m left'
    >>> time_left(to_epoch(datetime(2024, 3, 15, 11, 25)), datetime(2024, 3, 15, 12, 0)).text
    'overdue 35m'
    """
    if not epoch:
        return None
    left = epoch - to_epoch(now)
    minutes = abs(left) // 60
    days, hours, rest = minutes // 1440, minutes % 1440 // 60, minutes % 60
    text = f"{days}d {hours}h" if days else f"{hours}h {rest}m" if hours else f"{rest}m"
    due = from_epoch(epoch)
    if left <= 0:
        return TimeLeft(f"overdue {text}", "red", due)
    return TimeLeft(f"{text} left", "amber" if left <= warn_minutes * 60 else "green", due)


@dataclass(frozen=True)
class ShownDestination:
    """One destination as the zoom shows it: ``Response``, when, and the time left."""

    label: str
    left: TimeLeft


def shown(conn: Connection, ticket_id: int, now: datetime) -> list[ShownDestination]:
    """The ticket's response, update and solution destinations that are set, for the zoom (one statement)."""
    ticket = T["ticket"]
    row = conn.execute(select(*(ticket.c[COLUMNS[kind]] for kind in KINDS)).where(ticket.c.id == ticket_id)).first()
    if row is None:
        return []
    labels = {"response": "First response", "update": "Update", "solution": "Solution"}
    found = [(labels[kind], time_left(int(value or 0), now)) for kind, value in zip(KINDS, row, strict=True)]
    return [ShownDestination(label, left) for label, left in found if left is not None]
