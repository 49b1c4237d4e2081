"""Server-sent events: the framing, and a bounded stream of a live subscription (``goatkit/live.py``).

A browser's ``EventSource`` holds one request open and reads ``text/event-stream`` frames from it.  The stream:

- starts with ``retry:`` (how long the browser waits before reconnecting), and with a ``missed`` event when the
  subscription could not resume where the browser left off, so the page reloads what it shows;
- sends each batch of messages as the frames a ``render`` function makes of them, the last frame carrying the
  batch's last message id as ``id:``, which the browser sends back as ``Last-Event-ID`` when it reconnects (a
  batch the render drops entirely still moves the id, with a frame holding only ``id:``);
- sends a comment (``: keep-alive``) when nothing was sent for ``heartbeat`` seconds, so proxies keep the connection
  and a closed tab is noticed (the write fails and the WSGI server closes the generator);
- ends after ``lifetime`` seconds: the browser reconnects by itself, and a worker thread is never held forever.
  Every reconnect passes the route's permission checks again.

:func:`sse_response` returns the request's shared read connection to the pool before streaming (a stream lasts a
minute; the pool must not), sets the headers that stop caches and proxies from buffering, and streams.

Example::

    def render(messages):
        return [SSEEvent({"ids": [m.payload["order_id"] for m in messages]}, event="change")]

    subscription = broker_for(platform).subscribe(["shop:2"], after=last_event_id())
    return sse_response(event_stream(subscription, render))
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import Response, has_request_context, request

from goatkit.db import reader
from goatkit.live import LiveUnavailable, Message, Subscription

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 15.0
LIFETIME_SECONDS = 60.0
RETRY_MS = 3000
_MAX_ID = 100


@dataclass(frozen=True)
class SSEEvent:
    """One event for the browser: ``data`` (a string, or JSON-encoded), its ``event`` type (default "message"),
    and ``final`` to end the stream after it (the subscriber may no longer see what it subscribed to)."""

    data: Any
    event: str | None = None
    final: bool = False


Render = Callable[[list[Message]], Iterable[SSEEvent]]


def frame(data: Any = None, *, event: str | None = None, event_id: str | None = None, retry: int | None = None) -> str:
    """One event-stream frame.  ``data`` that is not a string is sent as compact JSON; a multi-line string becomes
    several ``data:`` lines (the browser joins them with newlines).

    >>> frame({"a": 1}, event="change", event_id="5")
    'id: 5\\nevent: change\\ndata: {"a":1}\\n\\n'
    """
    lines = []
    if retry is not None:
        lines.append(f"retry: {int(retry)}")
    if event_id is not None:
        lines.append(f"id: {_field(event_id)}")
    if event is not None:
        lines.append(f"event: {_field(event)}")
    if data is not None:
        text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
        lines.extend(f"data: {line}" for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n".join(lines) + "\n\n"


def comment(text: str = "") -> str:
    """A comment frame: ignored by the browser, it keeps the connection alive."""
    return f": {_field(text)}\n\n"


def _field(value: str) -> str:
    if any(char in value for char in "\r\n\0"):
        raise ValueError("An event-stream id, event name or comment must be a single line without NUL.")
    return value


def last_event_id() -> str | None:
    """The id the browser resumes from: its ``Last-Event-ID`` header, else ``?since=`` (the position a page was
    rendered at, for the first connection).  Malformed values are ignored: the stream then starts from now."""
    value = request.headers.get("Last-Event-ID") or request.args.get("since") or ""
    value = value.strip()
    if not value or len(value) > _MAX_ID or not value.isprintable():
        return None
    return value


def event_stream(
    subscription: Subscription,
    render: Render,
    *,
    lifetime: float = LIFETIME_SECONDS,
    heartbeat: float = HEARTBEAT_SECONDS,
    retry_ms: int = RETRY_MS,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[str]:
    """The frames of one connection (see the module's docstring); closes the subscription when it ends."""
    try:
        yield frame(retry=retry_ms)
        told_missed = False
        start = last_sent = clock()
        while (now := clock()) < start + lifetime:
            if subscription.missed and not told_missed:
                told_missed = True
                yield frame({"missed": True}, event="missed")
                last_sent = now
            messages = subscription.get(timeout=max(min(last_sent + heartbeat, start + lifetime) - now, 0))
            if messages:
                try:
                    events = list(render(messages))
                except Exception:  # headers are sent: no error page is possible; the browser reconnects
                    log.exception("a live stream could not render its messages; ending it")
                    return
                for event in events[:-1]:
                    yield frame(event.data, event=event.event)
                final = events[-1] if events else None
                last_id = messages[-1].id
                yield frame(final.data, event=final.event, event_id=last_id) if final else frame(event_id=last_id)
                last_sent = clock()
                if final is not None and final.final:
                    return
            elif clock() >= last_sent + heartbeat:
                yield comment("keep-alive")
                last_sent = clock()
    except LiveUnavailable:
        return  # the browser reconnects after retry_ms, and the route answers 503 until the broker is back
    finally:
        subscription.close()


def sse_response(frames: Iterable[str]) -> Response:
    """A streaming ``text/event-stream`` response of ``frames`` that holds no pooled database connection."""
    if has_request_context():
        reader.close_readers()
    response = Response(frames, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache, no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx and friends: deliver each frame as it comes
    return response
