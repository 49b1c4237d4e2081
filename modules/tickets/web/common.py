"""Plumbing shared by the agent ticket screens: who asks, connections, the page shell, answers and form values.

Pages extend ``tickets/_layout.html`` (the platform's ``base.html`` with the agent navigation); htmx requests get
fragments.  Refusals are one sentence: the engine's alert (``#gk-alert``, ``HX-Retarget``) for htmx, the error
page otherwise, so no view ever shows a stack trace or a raw database error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from flask import Response, flash, redirect, render_template, request
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from goatkit.auth.identity import current_identity
from goatkit.engine.screens.respond import error, is_htmx
from goatkit.platform import current_platform
from modules.permissions.agent import agent_permissions
from modules.tickets.actor import Actor
from modules.tickets.errors import TicketDenied, TicketError, TicketInvalid, TicketNotFound
from modules.tickets.service import TicketService
from modules.tickets.tx import run_in_transaction

log = logging.getLogger("gotrs.tickets.web")
F = TypeVar("F", bound=Callable[..., Response])
R = TypeVar("R")
UNREACHABLE = "The database cannot be reached right now; try again shortly."

#: The agent navigation: (key, label, href).  ``admin`` is added for members of group admin.
NAV = (
    ("dashboard", "Dashboard", "/agent"),
    ("queues", "Queues", "/agent/queues"),
    ("search", "Search", "/agent/search"),
    ("phone", "New phone ticket", "/agent/tickets/new?channel=phone"),
    ("email", "New email ticket", "/agent/tickets/new?channel=email"),
)


def agent_id() -> int:
    """The signed-in agent's user id (the routes' ``agent`` token guarantees an agent)."""
    identity = current_identity()
    if identity is None:
        raise RuntimeError("the agent screens run behind the 'agent' middleware")
    return int(identity.id)


@contextmanager
def reading() -> Iterator[Connection]:
    """The request's read connection (shared by the reads of one request)."""
    with current_platform().reading() as conn:
        yield conn


@contextmanager
def writing() -> Iterator[Connection]:
    """One transaction of plain writes (not ticket actions: those go through :func:`act`)."""
    with current_platform().engine.begin() as conn:
        yield conn


def act(work: Callable[[TicketService], R]) -> R:
    """``work(service)`` for the signed-in agent in a transaction of its own (retried when the database asks)."""
    user_id = agent_id()
    return run_in_transaction(
        current_platform().engine, lambda conn: work(TicketService(conn, Actor.agent(conn, user_id)))
    )


def nav_items(conn: Connection, active: str) -> list[dict[str, Any]]:
    """The header links of the agent screens (``nav_items`` of ``base.html``)."""
    items = [{"label": label, "href": href, "active": key == active} for key, label, href in NAV]
    if agent_permissions(conn, agent_id()).is_admin:
        items.append({"label": "Admin", "href": "/admin", "active": False})
    return items


def page(template: str, *, active: str, status: int = 200, **context: Any) -> Response:
    """A full agent page with the navigation."""
    with reading() as conn:
        items = nav_items(conn, active)
    html = render_template(template, nav_items=items, brand_href="/agent", **context)
    return Response(html, status=status, mimetype="text/html")


def fragment(template: str, *, status: int = 200, retarget: str | None = None, **context: Any) -> Response:
    """A piece of a page for htmx; ``retarget`` sends it elsewhere (error answers name their own target)."""
    response = Response(render_template(template, **context), status=status, mimetype="text/html")
    response.headers["Vary"] = "HX-Request"
    if retarget:
        response.headers["HX-Retarget"] = retarget
        response.headers["HX-Reswap"] = "outerHTML"
    return response


def refuse(status: int, message: str) -> Response:
    """One sentence: an htmx alert, JSON for API clients, or the error page."""
    return error(status, message)


def status_of(failure: TicketError) -> int:
    """The HTTP status of a service refusal."""
    if isinstance(failure, TicketDenied):
        return 403
    if isinstance(failure, TicketNotFound):
        return 404
    return 422


def field_of(failure: TicketError) -> str:
    """The form field a refusal is about (``""``: the form as a whole)."""
    return failure.field if isinstance(failure, TicketInvalid) else ""


def guarded(view: F) -> F:
    """Answer service refusals and database outages with a sentence instead of a 500."""

    @wraps(view)
    def run(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except TicketError as failure:
            return refuse(status_of(failure), str(failure))
        except SQLAlchemyError:
            log.exception("database error on %s %s", request.method, request.path)
            return refuse(503, UNREACHABLE)

    return run  # type: ignore[return-value]


def done(url: str, message: str | None = None) -> Response:
    """After a change without htmx: flash ``message`` and go to ``url`` (303)."""
    if message:
        flash(message, "success")
    if request.headers.get("HX-Request") == "true":
        return Response(status=200, headers={"HX-Redirect": url})
    response: Response = redirect(url, 303)  # type: ignore[assignment]
    return response


def local_path(value: str | None, default: str) -> str:
    """``value`` when it is a path of the agent screens (a safe redirect target), else ``default``."""
    if value and value.startswith("/agent") and "//" not in value and "\\" not in value and "\n" not in value:
        return value
    return default


def int_or_none(value: Any) -> int | None:
    """A whole number above zero from a form value, or None."""
    text = str(value or "").strip()
    if text.isdigit() and 0 < len(text) <= 18:
        return int(text) or None
    return None


def parse_moment(value: str | None, field: str) -> datetime | None:
    """A ``datetime-local`` form value (``2024-03-15T10:30``, read as UTC), or None when empty."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TicketInvalid(field, f"'{text[:40]}' is not a date and time (use 2024-03-15 10:30).") from None
    if not 1970 < moment.year < 3000:
        raise TicketInvalid(field, "Give a date between the years 1971 and 2999.")
    return moment.replace(tzinfo=None, second=0, microsecond=0)


def wants_fragment() -> bool:
    """An htmx request asking for a piece of the page."""
    return is_htmx()


def form_values(names: tuple[str, ...]) -> dict[str, str]:
    """The named form fields as stripped text (missing ones empty): what a form re-renders after an error."""
    return {name: (request.form.get(name) or "").strip() for name in names}


def choose(options: Mapping[int, str], value: Any) -> int | None:
    """``value`` as one of the ids in ``options`` (a select's choices), else None."""
    chosen = int_or_none(value)
    return chosen if chosen in options else None
