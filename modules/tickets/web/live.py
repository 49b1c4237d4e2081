"""The agents' live streams (server-sent events): the zoom follows one ticket, the queue view the agent's queues.

``GET /agent/live/tickets/<id>`` (route token ``ticket_access_ro``) streams the changes of one ticket;
``GET /agent/live/queues[?queue_id=]`` those of the tickets the "all my queues" view lists (in the queues the agent
may read, ``ro``, and the agent's own, responsible and watched tickets elsewhere), or of those in the one queue
asked for (403 when the agent may not read it).  Both answer ``text/event-stream`` for about a minute
(``goatkit/live_sse.py``), then the browser reconnects with ``Last-Event-ID`` and the route's checks run again.
The feeds (``live_feeds.py``) filter on the server: a browser never receives a message about a ticket
the agent may not read.  Events: ``change`` (``{"changes": [...], "notice": "..."}``), ``missed`` (reload what the
page shows), ``gone`` (the ticket is no longer readable; the stream ends).

Example (the browser side is the ``liveUpdates`` component, ``goatkit/static/js/live.js``)::

    <div x-data="liveUpdates" data-live-stream="/agent/live/tickets/42" data-live-since="{{ live_position() }}">
"""

from __future__ import annotations

import random

from flask import Response, request
from sqlalchemy import Connection, select

from goatkit.live import LiveUnavailable, broker_for
from goatkit.live_sse import LIFETIME_SECONDS, event_stream, last_event_id, sse_response
from goatkit.platform import current_platform
from goatkit.routing import handler
from modules.db.schema import metadata
from modules.permissions.agent import agent_permissions
from modules.permissions.options import current_options
from modules.tickets import live
from modules.tickets.web.common import agent_id, guarded, int_or_none, reading, refuse
from modules.tickets.web.live_feeds import QueueFeed, TicketFeed

UNAVAILABLE = "Live updates are unavailable right now; reload the page to see changes."
#: Watched tickets outside the agent's queues a stream follows at most (the newest; a stream lasts a minute).
MAX_WATCHED = 500


def _lifetime() -> float:
    """About a minute, spread so that the browsers of a whole office do not reconnect in step."""
    return LIFETIME_SECONDS * random.uniform(0.85, 1.0)  # noqa: S311 - spreading load, not a secret


@handler("tickets.live_ticket")
@guarded
def ticket_stream(ticket_id: int) -> Response:
    user_id, platform = agent_id(), current_platform()
    with reading() as conn:
        permissions = agent_permissions(conn, user_id)
    feed = TicketFeed(
        engine=platform.engine,
        viewer_id=user_id,
        ticket_id=ticket_id,
        permissions=permissions,
        options=current_options(),
    )
    try:
        subscription = broker_for(platform).subscribe([live.ticket_channel(ticket_id)], after=last_event_id())
    except LiveUnavailable:
        return refuse(503, UNAVAILABLE)
    return sse_response(event_stream(subscription, feed.render, lifetime=_lifetime()))


@handler("tickets.live_queues")
@guarded
def queue_stream() -> Response:
    user_id, platform = agent_id(), current_platform()
    wanted = request.args.get("queue_id")
    queue_id = int_or_none(wanted)
    if wanted is not None and queue_id is None:
        return refuse(400, "Parameter 'queue_id' must be a whole number.")
    with reading() as conn:
        readable = {queue.id: queue.name for queue in agent_permissions(conn, user_id).queues_with(conn, "ro")}
    if queue_id is not None and queue_id not in readable:
        return refuse(403, f"You need the 'ro' permission on queue {queue_id}.")
    queue_ids = frozenset([queue_id] if queue_id is not None else readable)
    feed = QueueFeed(engine=platform.engine, viewer_id=user_id, queue_ids=queue_ids)
    channels = [live.queue_channel(q) for q in sorted(queue_ids)]
    if queue_id is None:  # the view lists the agent's own tickets in any queue too (modules/tickets/list_scope.py)
        options = current_options()
        if options.ticket_watcher:
            with reading() as conn:
                feed.watched = watched_elsewhere(conn, user_id, queue_ids)
        feed.own, feed.responsible = True, options.ticket_responsible
        channels += [live.agent_channel(user_id), *(live.ticket_channel(t) for t in sorted(feed.watched))]
    try:
        subscription = broker_for(platform).subscribe(channels, after=last_event_id())
    except LiveUnavailable:
        return refuse(503, UNAVAILABLE)
    return sse_response(event_stream(subscription, feed.render, lifetime=_lifetime()))


def watched_elsewhere(conn: Connection, user_id: int, queue_ids: frozenset[int]) -> frozenset[int]:
    """The tickets ``user_id`` watches outside ``queue_ids`` (at most :data:`MAX_WATCHED`, the newest)."""
    ticket, watcher = metadata.tables["ticket"], metadata.tables["ticket_watcher"]
    query = (
        select(watcher.c.ticket_id)
        .join(ticket, ticket.c.id == watcher.c.ticket_id)
        .where(watcher.c.user_id == user_id, ticket.c.queue_id.not_in(sorted(queue_ids)))
        .order_by(watcher.c.ticket_id.desc())
        .limit(MAX_WATCHED)
    )
    return frozenset(int(i) for i in conn.execute(query).scalars())
