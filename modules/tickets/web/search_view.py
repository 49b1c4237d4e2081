"""Ticket search for agents (``GET /agent/search``): full text and filters, results paged by keyset.

The form is a plain GET form (its URL is the search, so it can be bookmarked and shared); htmx swaps only the
results (``HX-Target: t-results``).  The words and filters become a :class:`TicketQuery`
(``modules/tickets/search_query.py``) and :func:`search_tickets` answers one page of the tickets the agent may
read, with a signed cursor for the next page and a count capped at 1000.  A bad value is named beside its field.

Saved searches are OTRS's ``search_profile`` rows (``modules/tickets/search_profiles.py``), per agent login:
``GET /agent/search/saved?name=`` opens one (a redirect to the search's URL), ``POST /agent/search/saved`` saves the
page's search (``query``: its query string) under ``name``, ``POST /agent/search/saved/delete`` deletes ``name``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Response, flash, redirect, request
from sqlalchemy import Connection
from werkzeug.datastructures import MultiDict

from goatkit.auth.identity import current_identity
from goatkit.routing import handler
from modules.permissions.agent import agent_permissions
from modules.tickets.dynamic_fields import PREFIX
from modules.tickets.dynamic_fields_forms import screen_fields
from modules.tickets.refs import Refs
from modules.tickets.search import SearchPage, search_tickets
from modules.tickets.search_profiles import ProfileNotFound, delete_profile, list_profiles, load_profile, save_profile
from modules.tickets.search_query import SearchInvalid, TicketQuery
from modules.tickets.web import queries
from modules.tickets.web.common import agent_id, done, fragment, guarded, page, reading, wants_fragment, writing

PAGE_SIZE = 50
TEXT_FIELDS = ("text", "tn", "title", "customer_user_id", "customer_id", "created_from", "created_to")
LIST_FIELDS = ("queue_ids", "state_ids", "state_type", "priority_ids", "owner_ids", "lock_ids")
STATE_TYPES = ("new", "open", "pending reminder", "pending auto", "closed", "merged", "removed")
SORTS = (("id", "Newest first"), ("change_time", "Last changed"), ("priority", "Priority"))


@dataclass(frozen=True)
class Criteria:
    """The search as the form holds it: text values and lists of chosen values."""

    text: dict[str, str]
    lists: dict[str, list[str]]
    sort: str
    dynamic: dict[str, list[str]] = field(default_factory=dict)  # DynamicField_<Name>[.<Op>]: values

    @property
    def empty(self) -> bool:
        return not any(self.text.values()) and not any(self.lists.values()) and not any(self.dynamic.values())

    def as_query(self) -> dict[str, Any]:
        """The parameters of :meth:`TicketQuery.parse` (empty values left out)."""
        data: dict[str, Any] = {key: value for key, value in self.text.items() if value}
        data |= {key: values for key, values in self.lists.items() if values}
        data |= {key: values if len(values) > 1 else values[0] for key, values in self.dynamic.items() if values}
        data["sort"] = self.sort
        return data


def criteria_from(args: Any) -> Criteria:
    """The criteria of a request's query string (or a saved profile's values)."""
    text = {name: (args.get(name) or "").strip() for name in TEXT_FIELDS}
    lists = {name: [v for v in args.getlist(name) if v.strip()][:100] for name in LIST_FIELDS}
    sort = args.get("sort") if args.get("sort") in {key for key, _label in SORTS} else "id"
    dynamic = {
        str(key): [v.strip() for v in args.getlist(key) if v.strip()][:100]
        for key in list(args.keys())[:200]
        if str(key).startswith(PREFIX)
    }
    return Criteria(text, lists, str(sort), dynamic)


def choices(conn: Connection, user_id: int) -> dict[str, Any]:
    """The form's choices: readable queues, states, state types, priorities, locks, agents."""
    queues = agent_permissions(conn, user_id).queues_with(conn, "ro")
    return {
        "queues": [(q.id, q.name) for q in queues],
        "states": queries.named(conn, "state"),
        "state_types": [(name, name) for name in STATE_TYPES],
        "priorities": queries.named(conn, "priority"),
        "locks": queries.named(conn, "lock"),
        "agents": queries.valid_agents(conn),
        "sorts": SORTS,
        "search_fields": [shown for shown, _how in screen_fields(conn, "AgentTicketSearch")],
    }


def results(conn: Connection, found: SearchPage) -> list[dict[str, Any]]:
    """The hits with their names: lookups from the cache, owners in one query."""
    refs = Refs(conn)
    owners = queries.user_names(conn, (hit.owner_id for hit in found.rows))
    return [
        {
            "id": hit.id,
            "tn": hit.tn,
            "title": hit.title or "",
            "queue": refs.name("queue", hit.queue_id),
            "state": refs.name("state", hit.state_id),
            "state_type": queries.state_type(refs, hit.state_id),
            "priority": refs.name("priority", hit.priority_id),
            "owner": owners.get(hit.owner_id, ""),
            "customer": hit.customer_user_id or hit.customer_id or "",
            "age": queries.age(hit.create_time),
        }
        for hit in found.rows
    ]


def run(conn: Connection, criteria: Criteria, user_id: int, cursor: str | None) -> dict[str, Any]:
    """The search's page, or the error naming the field; nothing when the form is empty."""
    if criteria.empty:
        return {"searched": False, "rows": [], "errors": {}}
    try:
        query = TicketQuery.parse(criteria.as_query())
        found = search_tickets(conn, query, agent_id=user_id, page_size=PAGE_SIZE, cursor=cursor or None)
    except SearchInvalid as bad:
        return {"searched": False, "rows": [], "errors": {bad.field: bad.message}}
    return {
        "searched": True,
        "rows": results(conn, found),
        "total": found.total,
        "capped": found.total_capped,
        "next_cursor": found.next_cursor,
        "errors": {},
    }


def current_login() -> str:
    identity = current_identity()
    return identity.login if identity is not None else ""


def this_search() -> str:
    """This page's search as a query string, without the page position (what "Save" stores)."""
    return urlencode([(key, value) for key, values in request.args.lists() if key != "cursor" for value in values])


def next_url(cursor: str | None) -> str | None:
    """This search's URL at the next page."""
    if not cursor:
        return None
    kept = [(key, value) for key, values in request.args.lists() if key != "cursor" for value in values]
    return "/agent/search?" + urlencode([*kept, ("cursor", cursor)])


@handler("tickets.search")
@guarded
def search() -> Response:
    user_id = agent_id()
    criteria = criteria_from(request.args)
    with reading() as conn:
        outcome = run(conn, criteria, user_id, request.args.get("cursor"))
        form_choices = {} if wants_fragment() else choices(conn, user_id)
        saved = [] if wants_fragment() else list_profiles(conn, current_login())
    status = 400 if outcome["errors"] else 200
    context = {"criteria": criteria, "next_url": next_url(outcome.get("next_cursor")), **outcome}
    context |= {"saved": saved, "query_string": this_search()}
    if wants_fragment() and request.headers.get("HX-Target") == "t-results":
        retarget = "#t-results" if status != 200 else None
        return fragment("tickets/search/_results.html", status=status, retarget=retarget, **context)
    return page("tickets/search/index.html", active="search", status=status, **context, **form_choices)


# --- saved searches (OTRS search profiles) ------------------------------------------------------------------------

MAX_NAME = 200


def _shown(moment: datetime, *, end: bool) -> str:
    """A saved time as the form's date field shows it (a whole day stays a date)."""
    whole = moment.time() == (time(23, 59, 59) if end else time())
    return moment.date().isoformat() if whole else moment.isoformat(timespec="minutes")


def query_args(query: TicketQuery) -> list[tuple[str, str]]:
    """The search form's query string for a saved query (fields the form does not show are left out)."""
    args: list[tuple[str, str]] = []
    for name in TEXT_FIELDS:
        value = getattr(query, name, None)
        if isinstance(value, datetime):
            args.append((name, _shown(value, end=name.endswith("_to"))))
        elif value:
            args.append((name, str(value)))
    for name in LIST_FIELDS:
        args.extend((name, str(value)) for value in getattr(query, name) or ())
    for flt in query.dynamic_fields or ():  # as the form names them: Equals and Like plain, ranges with .<Op>
        key = PREFIX + flt.name + ("" if flt.op in ("Equals", "Like") else f".{flt.op}")
        args.extend((key, value) for value in flt.values)
    if query.sort != "id":
        args.append(("sort", query.sort))
    return args


@handler("tickets.search_open")
@guarded
def open_saved() -> Response:
    name = (request.args.get("name") or "").strip()[:MAX_NAME]
    with reading() as conn:
        try:
            query = load_profile(conn, current_login(), name)
        except (ProfileNotFound, SearchInvalid) as problem:
            flash(str(problem) if isinstance(problem, ProfileNotFound) else f"The saved search {name!r} is broken.")
            return done("/agent/search")
    response: Response = redirect(_search_url(query_args(query)), 302)  # type: ignore[assignment]
    return response


def _search_url(args: list[tuple[str, str]]) -> str:
    return "/agent/search" + ("?" + urlencode(args) if args else "")


@handler("tickets.search_save")
@guarded
def save() -> Response:
    name = (request.form.get("name") or "").strip()
    pairs = [(key, value) for key, value in parse_qsl(request.form.get("query") or "") if key not in ("cursor", "name")]
    back = _search_url(pairs)
    try:
        query = TicketQuery.parse(criteria_from(MultiDict(pairs)).as_query())
        with writing() as conn:
            save_profile(conn, current_login(), name, query)
    except SearchInvalid as bad:
        flash(f"The search was not saved: {bad.message}", "error")
        return done(back)
    flash(f"Search {name!r} saved.", "success")
    return done(back)


@handler("tickets.search_delete")
@guarded
def delete() -> Response:
    name = (request.form.get("name") or "").strip()[:MAX_NAME]
    with writing() as conn:
        deleted = delete_profile(conn, current_login(), name)
    flash(f"Search {name!r} deleted." if deleted else f"There is no saved search named {name!r}.")
    return done("/agent/search")
