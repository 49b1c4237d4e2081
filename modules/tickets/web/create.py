"""New phone and email tickets (``GET``/``POST /agent/tickets/new?channel=phone|email``).

The form offers the queues where the agent has ``create``; the customer is chosen with a typeahead
(``/agent/customers/search``), which refreshes the service and SLA choices (``/agent/tickets/new/services``); a
standard template fills the body (``/agent/tickets/new/template``).  A valid form creates the ticket and its first
article with :meth:`TicketService.create` in one transaction and redirects to the zoom; otherwise the form comes
back (422) with each error beside its field.

``GET /agent/customers/search?q=`` answers the ``<li role="option" data-value data-label>`` fragment the
platform's Alpine ``typeahead`` consumes (the engine's own choices route is for administrators);
``GET /agent/tickets/new/services?customer_user=&service=`` answers the service and SLA selects: only the
customer's services (their own and the ``<DEFAULT>`` ones), only the chosen service's SLAs.
"""

from __future__ import annotations

from flask import Response, request

from goatkit.routing import handler
from modules.tickets.actor import Actor
from modules.tickets.changes import utc_now
from modules.tickets.dynamic_fields_forms import posted as dynamic_posted
from modules.tickets.dynamic_fields_forms import screen_fields
from modules.tickets.dynamic_fields_screens import CREATE
from modules.tickets.errors import TicketDenied, TicketError, TicketInvalid
from modules.tickets.html import to_text
from modules.tickets.tags import TagContext, replace_tags, user_data
from modules.tickets.web import queries
from modules.tickets.web.common import act, agent_id, done, fragment, guarded, int_or_none, page, reading
from modules.tickets.web.create_form import (
    CreateForm,
    article_draft,
    channel_of,
    choices,
    defaults,
    posted,
    service_context,
    ticket_draft,
)

MAX_TERM = 100
TITLES = {"phone": "New phone ticket", "email": "New email ticket"}


def _render(form: CreateForm, status: int = 200) -> Response:
    with reading() as conn:
        context = choices(conn, agent_id(), form)
    return page(
        "tickets/new/form.html",
        active=form.channel,
        status=status,
        form=form,
        values=form.values,
        errors=form.errors,
        title=TITLES[form.channel],
        **context,
    )


@handler("tickets.new")
@guarded
def new() -> Response:
    with reading() as conn:
        form = defaults(conn, channel_of(request.args.get("channel")))
    customer = (request.args.get("customer_user") or "").strip()
    if customer:
        form.values["customer_user"] = customer
    return _render(form)


@handler("tickets.create")
@guarded
def create() -> Response:
    form = posted(channel_of(request.args.get("channel") or request.form.get("channel")))
    with reading() as conn:
        address = Actor.agent(conn, agent_id()).address
        ticket = ticket_draft(conn, form)
        article = article_draft(conn, form, address)
        shown = screen_fields(conn, CREATE[form.channel])
    fields, field_problems, form.dynamic = dynamic_posted(shown, request.form, utc_now())
    for name, message in field_problems.items():
        form.add_error(name, message)
    if ticket is None or article is None or field_problems:
        return _render(form, 422)
    try:
        created = act(lambda service: service.create(ticket, article, fields))
    except TicketDenied as denied:
        form.add_error("queue", str(denied))
        return _render(form, 403)
    except TicketInvalid as bad:
        form.add_error(bad.field, str(bad))
        return _render(form, 422)
    except TicketError as failure:
        form.add_error("", str(failure))
        return _render(form, 422)
    return done(f"/agent/tickets/{created.ticket_id}", f"Ticket {created.tn} created.")


@handler("tickets.new_template")
@guarded
def template() -> Response:
    """The body filled from a standard template, tags replaced for the chosen customer and the agent."""
    template_id = int_or_none(request.args.get("template_id"))
    if template_id is None:
        return Response(status=204)  # "None" chosen: the body stays as typed (htmx swaps nothing)
    login = (request.args.get("customer_user") or "").strip()
    with reading() as conn:
        found = queries.template_text(conn, template_id)
        customer = queries.customer(conn, login) if login else None
        me = Actor.agent(conn, agent_id())
    body = ""
    if found is not None:
        text, content_type = found
        text = to_text(text) if content_type.startswith("text/html") else text
        agent = user_data({"id": me.user_id, "login": me.login, "first_name": me.first_name, "last_name": me.last_name})
        agent["UserEmail"] = me.email
        context = TagContext(customer_user=customer.tag_data if customer else {}, users={"agent": agent})
        body = replace_tags(text, context)
    return fragment("tickets/new/_body.html", value=body, error="")


@handler("tickets.customer_search")
@guarded
def customer_search() -> Response:
    term = (request.args.get("q") or "").strip()[:MAX_TERM]
    with reading() as conn:
        found = queries.customer_matches(conn, term) if term else []
    choices = [(match.login, match.label) for match in found]
    return fragment("goatkit/engine/_choices.html", field="customer_user", choices=choices, term=term)


@handler("tickets.customer_services")
@guarded
def customer_services() -> Response:
    login = (request.args.get("customer_user") or "").strip()[:250]
    with reading() as conn:
        context = service_context(
            conn, login, int_or_none(request.args.get("service")), int_or_none(request.args.get("sla"))
        )
    return fragment("tickets/new/_services.html", errors={}, **context)
