"""Server-sent events (goatkit/live_sse.py): the framing, and bounded streams of a real in-process broker."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask

from goatkit.live import LiveUnavailable, MemoryBroker, Message
from goatkit.live_sse import SSEEvent, comment, event_stream, frame, last_event_id, sse_response


def test_frames_follow_the_event_stream_format() -> None:
    assert frame({"a": 1, "b": [1, 2]}, event="change", event_id="p-7") == (
        'id: p-7\nevent: change\ndata: {"a":1,"b":[1,2]}\n\n'
    )
    assert frame("one\ntwo\r\nthree") == "data: one\ndata: two\ndata: three\n\n"  # the browser joins them with \n
    assert frame(retry=3000) == "retry: 3000\n\n"
    assert frame(event_id="p-8") == "id: p-8\n\n"  # moves Last-Event-ID without dispatching an event
    assert comment("keep-alive") == ": keep-alive\n\n"


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\0b"])
def test_ids_and_event_names_must_be_one_line(bad: str) -> None:
    with pytest.raises(ValueError, match="must be a single line without NUL"):
        frame("x", event_id=bad)
    with pytest.raises(ValueError, match="must be a single line"):
        frame("x", event=bad)


class Closing:
    """A real subscription that remembers being closed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.closed = 0

    @property
    def missed(self) -> bool:
        return bool(self.inner.missed)

    def get(self, timeout: float) -> list[Message]:
        return list(self.inner.get(timeout))

    def close(self) -> None:
        self.closed += 1


def payloads(messages: list[Message]) -> list[SSEEvent]:
    return [SSEEvent({"n": [m.payload["n"] for m in messages]}, event="change")]


def test_a_stream_starts_with_retry_then_sends_batches_with_the_last_id() -> None:
    broker = MemoryBroker()
    subscription = Closing(broker.subscribe(["a"]))
    frames = event_stream(subscription, payloads, lifetime=5, heartbeat=5, retry_ms=1500)
    assert next(frames) == "retry: 1500\n\n"
    broker.publish("a", {"n": 1})
    last = broker.publish("a", {"n": 2})
    assert next(frames) == f'id: {last}\nevent: change\ndata: {{"n":[1,2]}}\n\n'
    frames.close()  # the browser went away: the WSGI server closes the generator
    assert subscription.closed == 1


def test_a_batch_the_render_drops_still_moves_the_id() -> None:
    broker = MemoryBroker()
    frames = event_stream(broker.subscribe(["a"]), lambda messages: [], lifetime=5, heartbeat=5)
    next(frames)
    seen = broker.publish("a", {"n": 1})
    assert next(frames) == f"id: {seen}\n\n"


def test_several_events_of_a_batch_carry_the_id_on_the_last_one() -> None:
    broker = MemoryBroker()

    def render(messages: list[Message]) -> list[SSEEvent]:
        return [SSEEvent(m.payload["n"]) for m in messages]

    frames = event_stream(broker.subscribe(["a"]), render, lifetime=5, heartbeat=5)
    next(frames)
    broker.publish("a", {"n": "one"})
    last = broker.publish("a", {"n": "two"})
    assert next(frames) == "data: one\n\n"
    assert next(frames) == f"id: {last}\ndata: two\n\n"


def test_a_quiet_stream_sends_heartbeats_and_ends_after_its_lifetime() -> None:
    broker = MemoryBroker()
    subscription = Closing(broker.subscribe(["a"]))
    started = time.monotonic()
    frames = list(event_stream(subscription, payloads, lifetime=1.0, heartbeat=0.3))
    took = time.monotonic() - started
    assert frames[0].startswith("retry: ")
    assert set(frames[1:]) == {": keep-alive\n\n"} and 2 <= len(frames[1:]) <= 3  # at 0.3, 0.6, 0.9 s
    assert 0.9 < took < 2.0
    assert subscription.closed == 1


def test_a_final_event_ends_the_stream() -> None:
    broker = MemoryBroker()
    frames = event_stream(
        broker.subscribe(["a"]), lambda messages: [SSEEvent({"bye": True}, event="gone", final=True)], lifetime=30
    )
    next(frames)
    gone = broker.publish("a", {})
    assert list(frames) == [f'id: {gone}\nevent: gone\ndata: {{"bye":true}}\n\n']


def test_a_subscription_that_missed_messages_says_so_first() -> None:
    broker = MemoryBroker()
    broker.publish("a", {})
    frames = event_stream(broker.subscribe(["a"], after="elsewhere-1"), payloads, lifetime=0.3, heartbeat=5)
    assert list(frames)[1:] == ['event: missed\ndata: {"missed":true}\n\n']


def test_a_broker_outage_ends_the_stream_quietly() -> None:
    class Down(Closing):
        def get(self, timeout: float) -> list[Message]:
            raise LiveUnavailable("Live updates are unavailable: Redis answered ConnectionError.")

    subscription = Down(MemoryBroker().subscribe(["a"]))
    assert list(event_stream(subscription, payloads, lifetime=5)) == ["retry: 3000\n\n"]
    assert subscription.closed == 1


def test_the_response_streams_event_frames_without_caching_or_buffering() -> None:
    app = Flask(__name__)
    broker = MemoryBroker()

    @app.get("/stream")
    def stream() -> Any:
        subscription = broker.subscribe(["a"], after=last_event_id())
        return sse_response(event_stream(subscription, payloads, lifetime=0.5, heartbeat=5))

    seen = broker.publish("a", {"n": 1})
    broker.publish("a", {"n": 2})
    response = app.test_client().get("/stream", headers={"Last-Event-ID": seen})
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache, no-store"
    assert response.headers["X-Accel-Buffering"] == "no"
    assert '"n":[2]' in response.get_data(as_text=True)  # resumed after the id the browser had
    since = app.test_client().get(f"/stream?since={seen}")
    assert '"n":[2]' in since.get_data(as_text=True)  # a first connection names the page's position instead


@pytest.mark.parametrize(
    ("headers", "query", "expected"),
    [
        ({"Last-Event-ID": "p-3"}, "?since=p-1", "p-3"),
        ({}, "?since=p-1", "p-1"),
        ({}, "", None),
        ({"Last-Event-ID": "x" * 101}, "", None),
        ({}, "?since=a%01b", None),
    ],
)
def test_last_event_id_prefers_the_header_and_ignores_junk(headers: dict[str, str], query: str, expected: Any) -> None:
    app = Flask(__name__)
    with app.test_request_context("/" + query, headers=headers):
        assert last_event_id() == expected


def test_a_render_that_fails_ends_the_stream_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    broker = MemoryBroker()

    def broken(messages: list[Message]) -> list[SSEEvent]:
        raise RuntimeError("database gone")

    subscription = Closing(broker.subscribe(["a"]))
    frames = event_stream(subscription, broken, lifetime=30)
    next(frames)
    broker.publish("a", {})
    assert list(frames) == []
    assert subscription.closed == 1
    assert "a live stream could not render its messages; ending it" in caplog.text
