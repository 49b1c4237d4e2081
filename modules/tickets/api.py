"""The ticket JSON API for agents: the same service the screens use, over HTTP.

Routes (``routes/tickets-api.yaml``, middleware ``[auth, agent]``; per-ticket routes add ``ticket_access_ro`` and
the service checks the key each change needs):

* ``POST /api/v1/tickets``: a ticket with its first article -> 201, the ticket, ``Location``
* ``GET /api/v1/tickets``: search and list (``text``, the filters of :class:`TicketQuery`, ``page_size``,
  ``cursor``) -> ``{"data", "page": {"size", "next_cursor"}, "total", "total_capped"}``
* ``GET /api/v1/tickets/<id>`` (``?articles=1`` adds the articles) and ``PATCH`` (title, queue, lock, type, state,
  pending_until, service, sla, owner, responsible, priority, customer_user/customer_id: applied in OTRS's
  TicketUpdate order, all in one transaction) -> the ticket
* ``POST /api/v1/tickets/<id>/articles`` -> 201 ``{"article_id"}``; ``GET /api/v1/tickets/<id>/history``
* dynamic fields: ``dynamic_fields`` (or GI's ``DynamicField``) as ``[{"name", "value"}]`` or ``{name: value}`` on
  create, PATCH (after the attributes) and new articles; every ticket answer (and article, with ``?articles=1``)
  carries its set values; the list filters on ``DynamicField_<Name>[.<Op>]`` (``modules/tickets/dynamic_fields*``)

Errors are one sentence: 403 naming the permission and object, 404, and 422 with ``errors: {field: [message]}``
for bad values (every field of a draft at once).

Example::

    POST /api/v1/tickets  {"title": "Printer jams", "queue": "Raw", "customer_user": "carl@example.com",
                           "article": {"subject": "Printer", "body": "It jams.", "channel": "Phone"}}
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from flask import Response, g, jsonify, request, url_for
from pydantic import ValidationError
from sqlalchemy import Connection, Select, bindparam, select

from goatkit.auth.identity import current_identity
from goatkit.errors import error_response
from goatkit.platform import current_platform
from goatkit.routing.registry import handler
from modules.db.schema import metadata
from modules.tickets import history
from modules.tickets.actor import Actor
from modules.tickets.articles import article_list
from modules.tickets.drafts import ArticleDraft, TicketDraft, field_errors
from modules.tickets.dynamic_fields import api_values, named_values, stored_in_transaction
from modules.tickets.errors import TicketDenied, TicketInvalid, TicketNotFound
from modules.tickets.refs import Refs
from modules.tickets.search import TicketHit, hit_columns, hit_of, search_tickets
from modules.tickets.search_query import SearchInvalid, TicketQuery
from modules.tickets.service import TicketService

USERS = metadata.tables["users"]
TICKET = metadata.tables["ticket"]
#: PATCH attributes, in the order OTRS's TicketUpdate applies them.
UPDATE_ORDER = ("title", "queue", "lock", "type", "state", "service", "sla", "owner", "responsible", "priority")
UPDATABLE = frozenset({*UPDATE_ORDER, "pending_until", "customer_user", "customer_id", "dynamic_fields"})
LIST_KEYS = frozenset({"page_size", "cursor"})


class _Stop(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _run(action: Callable[[Connection, TicketService], Response]) -> Response:
    """Run ``action`` in one transaction with the signed-in agent's service; errors become answers (a database
    failure goes to the app's error handler: logged, "Something went wrong (ref ...)")."""
    identity = current_identity()
    if identity is None or not isinstance(identity.id, int):
        return error_response(403, "Only agents can use the ticket API.")
    try:
        with current_platform().engine.begin() as conn:
            return action(conn, TicketService(conn, Actor.agent(conn, identity.id)))
    except _Stop as stop:
        return stop.response
    except TicketInvalid as invalid:
        return _invalid({invalid.field: str(invalid)})
    except (TicketDenied, TicketNotFound, SearchInvalid) as refused:
        return error_response(_STATUS[type(refused)], str(refused))


_STATUS: dict[type[Exception], int] = {TicketDenied: 403, TicketNotFound: 404, SearchInvalid: 400}


def _invalid(errors: Mapping[str, str]) -> Response:
    message = f"Some values are not valid: {', '.join(errors)}."
    response = jsonify(
        error={"status": 422, "message": message, "ref": g.get("request_id", "-")},
        errors={field: [text] for field, text in errors.items()},
    )
    response.status_code = 422
    return response


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise _Stop(error_response(400, "Send a JSON object."))
    return data


def _draft(model: type[Any], data: Mapping[str, Any], prefix: str = "") -> Any:
    try:
        return model.model_validate(dict(data))
    except ValidationError as error:
        raise _Stop(_invalid({prefix + key if key else prefix.rstrip(".") or "body": text
                              for key, text in field_errors(error).items()})) from None  # fmt: skip


# ---------------------------------------------------------------------------------------------------------- views


@handler("tickets.api.create")
def create_view() -> Response:
    def create(conn: Connection, service: TicketService) -> Response:
        data = _body()
        article_data = data.pop("article", None)
        fields = _fields(data)
        if article_data is not None and not isinstance(article_data, dict):
            return _invalid({"article": "The article must be an object (subject, body ...)."})
        draft = _draft(TicketDraft, data)
        article = None
        if article_data is not None:
            article = _draft(ArticleDraft, _decoded(article_data), "article.")
        created = service.create(draft, article, fields)
        no_fields = not stored_in_transaction(conn, "Ticket", created.ticket_id)  # a new ticket has none before
        response = jsonify(_ticket_json(conn, service.refs, [created.ticket_id], no_fields=no_fields)[0])
        response.status_code = 201
        response.headers["Location"] = url_for("tickets.api.get", ticket_id=created.ticket_id)
        return response

    return _run(create)


@handler("tickets.api.list")
def list_view() -> Response:
    def listing(conn: Connection, service: TicketService) -> Response:
        params = {key: values if len(values) > 1 else values[0] for key, values in request.args.lists()}
        page_size = _page_size(params.pop("page_size", "50"))
        cursor = params.pop("cursor", None)
        if isinstance(cursor, list):
            raise _Stop(error_response(400, f"cursor: give one page link, not {len(cursor)}."))
        query = TicketQuery.parse(params)
        page = search_tickets(conn, query, agent_id=service.actor.user_id, page_size=page_size, cursor=cursor)
        data = _hits_json(conn, service.refs, list(page.rows))
        return jsonify(data=data, page={"size": page_size, "next_cursor": page.next_cursor}, total=page.total,
                       total_capped=page.total_capped)  # fmt: skip

    return _run(listing)


@handler("tickets.api.get")
def get_view(ticket_id: str) -> Response:
    def get(conn: Connection, service: TicketService) -> Response:
        body = _ticket_json(conn, service.refs, [_id(ticket_id)])[0]
        if request.args.get("articles") in ("1", "true"):
            articles = article_list(conn, body["id"])
            fields = api_values(conn, "Article", [a.id for a in articles])
            body["articles"] = [_article_json(a) | {"dynamic_fields": fields.get(a.id, [])} for a in articles]
        return jsonify(body)

    return _run(get)


@handler("tickets.api.update")
def update_view(ticket_id: str) -> Response:
    def update(conn: Connection, service: TicketService) -> Response:
        key, data = _id(ticket_id), _body()
        fields = _fields(data)
        unknown = sorted(set(data) - UPDATABLE)
        if unknown:
            return _invalid(dict.fromkeys(unknown, "Cannot be changed here."))
        _apply(service, key, data)
        if fields:  # after the attributes, as OTRS's TicketUpdate
            service.set_dynamic_fields(key, fields)
        return jsonify(_ticket_json(conn, service.refs, [key])[0])

    return _run(update)


@handler("tickets.api.add_article")
def add_article_view(ticket_id: str) -> Response:
    def add(conn: Connection, service: TicketService) -> Response:
        data = _body()
        fields = _fields(data)
        draft = _draft(ArticleDraft, _decoded(data))
        article_id = service.add_article(_id(ticket_id), draft)
        if fields:
            key = "note" if draft.channel == "Internal" else "rw"
            service.set_dynamic_fields(_id(ticket_id), fields, article_id=article_id, key=key)
        response = jsonify(article_id=article_id)
        response.status_code = 201
        return response

    return _run(add)


@handler("tickets.api.history")
def history_view(ticket_id: str) -> Response:
    def listing(conn: Connection, service: TicketService) -> Response:
        lines = history.lines(conn, _id(ticket_id))
        return jsonify(data=[
            {"id": line.id, "type": line.history_type, "name": line.name, "text": line.text,
             "article_id": line.article_id, "created": _iso(line.create_time),
             "by": {"id": line.create_by, "login": line.create_login}}
            for line in lines
        ])  # fmt: skip

    return _run(listing)


# -------------------------------------------------------------------------------------------------------- helpers


def _id(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise _Stop(error_response(400, f"The ticket id must be a whole number, not '{raw}'.")) from None


def _page_size(raw: Any) -> int:
    try:
        return int(str(raw))
    except ValueError:
        raise _Stop(error_response(400, "page_size: use a number from 1 to 500.")) from None


def _apply(service: TicketService, ticket_id: int, data: Mapping[str, Any]) -> None:
    """PATCH: each given attribute through its service action, in OTRS's order."""
    actions: dict[str, Callable[[Any], object]] = {
        "title": lambda v: service.set_title(ticket_id, str(v)),
        "queue": lambda v: service.move(ticket_id, v),
        "lock": lambda v: _lock(service, ticket_id, v),
        "type": lambda v: service.set_type(ticket_id, v),
        "state": lambda v: service.set_state(ticket_id, v, _when(data.get("pending_until"))),
        "service": lambda v: service.set_service(ticket_id, v),
        "sla": lambda v: service.set_sla(ticket_id, v),
        "owner": lambda v: service.set_owner(ticket_id, _user(v, "owner")),
        "responsible": lambda v: service.set_responsible(ticket_id, _user(v, "responsible")),
        "priority": lambda v: service.set_priority(ticket_id, v),
    }
    for name in UPDATE_ORDER:
        if name in data:
            actions[name](data[name])
    if "customer_user" in data or "customer_id" in data:
        service.set_customer(ticket_id, data.get("customer_id"), data.get("customer_user"))
    if "pending_until" in data and "state" not in data and data["pending_until"] is not None:
        service.set_pending_time(ticket_id, _when(data["pending_until"]) or datetime.now(UTC))


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    """``dynamic_fields`` (or GI's ``DynamicField``) taken out of a body: ``[{"name", "value"}]`` (``Name`` and
    ``Value`` too) or ``{name: value}``."""
    raw = data.pop("dynamic_fields", data.pop("DynamicField", None))
    try:
        return named_values(raw)
    except ValueError as bad:
        raise _Stop(_invalid({"dynamic_fields": str(bad)})) from None


def _lock(service: TicketService, ticket_id: int, value: Any) -> object:
    if value not in ("lock", "unlock"):
        raise TicketInvalid("lock", "Use 'lock' or 'unlock'.")
    return service.lock(ticket_id) if value == "lock" else service.unlock(ticket_id)


def _user(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise TicketInvalid(field, f"Give the {field}'s user id as a number.")
    return int(value)


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise TicketInvalid("pending_until", f"'{value}' is not a date and time (use 2024-03-20T09:00).") from None


def _decoded(data: Mapping[str, Any]) -> dict[str, Any]:
    """An article body with its attachments' ``content`` decoded from base64."""
    out = dict(data)
    files = out.get("attachments")
    if isinstance(files, list):
        decoded = []
        for index, item in enumerate(files):
            if not isinstance(item, dict) or not isinstance(item.get("content"), str):
                raise _Stop(_invalid({f"attachments.{index}": "Give filename, content_type and base64 content."}))
            try:
                content = base64.b64decode(item["content"], validate=True)
            except (binascii.Error, ValueError):
                raise _Stop(_invalid({f"attachments.{index}": "The content is not valid base64."})) from None
            decoded.append({**item, "content": content})
        out["attachments"] = decoded
    return out


_LOGINS = select(USERS.c.id, USERS.c.login).where(USERS.c.id.in_(bindparam("ids", expanding=True)))


@cache
def _tickets_for_json() -> Select[Any]:
    """The tickets (``ids``) with their owner's and responsible's logins: built once, compiled once."""
    ticket, owner, responsible = TICKET, USERS.alias("owner"), USERS.alias("responsible")
    return (
        select(*hit_columns(), owner.c.login, responsible.c.login)
        .select_from(
            ticket.outerjoin(owner, owner.c.id == ticket.c.user_id).outerjoin(
                responsible, responsible.c.id == ticket.c.responsible_user_id
            )
        )
        .where(ticket.c.id.in_(bindparam("ids", expanding=True)))
    )


def _ticket_json(conn: Connection, refs: Refs, ids: Iterable[int], *, no_fields: bool = False) -> list[dict[str, Any]]:
    """Tickets as JSON, in the order of ``ids``, with names: one statement for the tickets with their owner's and
    responsible's logins, one for the dynamic fields (none of them per ticket; none with ``no_fields``: the caller
    knows the tickets have no values)."""
    wanted = list(ids)
    found = {row.id: row for row in conn.execute(_tickets_for_json(), {"ids": sorted(set(wanted))})}
    missing = [ticket_id for ticket_id in wanted if ticket_id not in found]
    if missing:
        raise TicketNotFound(f"ticket {missing[0]}")
    rows = [found[ticket_id] for ticket_id in wanted]
    hits = [hit_of(row) for row in rows]
    logins = {hit.owner_id: row[-2] for hit, row in zip(hits, rows, strict=True)}
    logins |= {hit.responsible_id: row[-1] for hit, row in zip(hits, rows, strict=True)}
    return _hits_json(conn, refs, hits, logins, no_fields=no_fields)


def _hits_json(
    conn: Connection,
    refs: Refs,
    hits: list[TicketHit],
    logins: Mapping[int, str | None] | None = None,
    *,
    no_fields: bool = False,
) -> list[dict[str, Any]]:
    """Tickets a search found (or :func:`_ticket_json` read) as JSON, in their order: the owners' and responsibles'
    logins with one statement unless given (a handful of agents, not the tickets again), the dynamic fields with
    one."""
    if logins is None:
        agents = sorted({hit.owner_id for hit in hits} | {hit.responsible_id for hit in hits})
        logins = {row[0]: row[1] for row in conn.execute(_LOGINS, {"ids": agents})} if agents else {}
    fields = {} if no_fields else api_values(conn, "Ticket", [hit.id for hit in hits])

    def named(kind: str, ref_id: int | None) -> dict[str, Any] | None:
        return None if ref_id is None else {"id": ref_id, "name": refs.name(kind, ref_id)}

    out = []
    for hit in hits:
        state = refs.state(hit.state_id, valid=False)
        out.append({
            "id": hit.id, "tn": hit.tn, "title": hit.title,
            "queue": named("queue", hit.queue_id),
            "state": {"id": state.id, "name": state.name, "type": state.type_name},
            "priority": named("priority", hit.priority_id), "lock": named("lock", hit.lock_id),
            "type": named("type", hit.type_id), "service": named("service", hit.service_id),
            "sla": named("sla", hit.sla_id),
            "owner": {"id": hit.owner_id, "login": logins.get(hit.owner_id) or ""},
            "responsible": {"id": hit.responsible_id, "login": logins.get(hit.responsible_id) or ""},
            "customer_id": hit.customer_id, "customer_user": hit.customer_user_id,
            "pending_until": _epoch(hit.pending_until), "created": _iso(hit.create_time),
            "archived": bool(hit.archived), "dynamic_fields": fields.get(hit.id, []),
        })  # fmt: skip
    return out


def _article_json(article: Any) -> dict[str, Any]:
    return {
        "id": article.id, "sender_type": article.sender_type, "channel": article.channel,
        "visible_for_customer": article.visible_for_customer, "from": article.from_, "to": article.to,
        "cc": article.cc, "subject": article.subject, "body": article.body, "content_type": article.content_type,
        "created": _iso(article.create_time),
        "attachments": [{"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size}
                        for a in article.attachments],
    }  # fmt: skip


def _epoch(value: int) -> str | None:
    return datetime.fromtimestamp(value, UTC).isoformat() if value else None


def _iso(value: datetime) -> str:
    return value.isoformat()
