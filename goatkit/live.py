"""Live messages: publish small JSON payloads on named channels; subscribers wait for them with a timeout.

Server-sent event streams (``goatkit/live_sse.py``) sit on top: a page subscribes to the channels it shows and
refreshes itself when something it shows changed.  Two brokers share one interface (:class:`Broker`):

- :class:`MemoryBroker`, the default without Redis: a ring of the last ``capacity`` messages in this process,
  guarded by a condition variable.  It reaches subscribers **of this process only**: right for the embedded
  default (``make run``, ``gotrs serve`` with the threaded development server, one gunicorn worker), wrong for
  several worker processes, where a message published by one worker never reaches a stream held by another.
- :class:`goatkit.live_redis.RedisBroker` when the platform has Redis: one Redis stream (``XADD``, trimmed to about
  ``maxlen`` entries) read with ``XREAD BLOCK``, so every process and every daemon sees every message.

Several gunicorn workers therefore need Redis for live updates; ``gotrs serve --workers N`` warns when N > 1 and no
``redis_url`` is set.  Nothing else breaks without it: pages still load and refresh on navigation.

Every message has an id that orders it (``"<process>-<n>"`` in memory, the stream id in Redis).  A subscriber can
start after a known id (the ``Last-Event-ID`` of a reconnecting browser) and gets every later message that is still
kept; when it cannot know what it missed (an id from another process or restart, or older than what is kept),
:attr:`Subscription.missed` says so, and the page should reload what it shows.

Example::

    broker = broker_for(current_platform())
    broker.publish(["order:7", "shop:2"], {"order_id": 7, "event": "OrderPaid"})

    subscription = broker.subscribe(["shop:2"], after=request.headers.get("Last-Event-ID"))
    try:
        for message in subscription.get(timeout=15):
            ...  # message.id, message.channels, message.payload
    finally:
        subscription.close()
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from flask import Flask

    from goatkit.platform import Platform


class LiveUnavailable(RuntimeError):
    """The broker cannot be reached (Redis down): live updates pause; nothing else depends on them."""


@dataclass(frozen=True)
class Message:
    """One published message: its ordering id, the channels it was published on, and its JSON-safe payload."""

    id: str
    channels: frozenset[str]
    payload: Mapping[str, Any]


class Subscription(Protocol):
    """A subscriber's cursor into the broker's messages, limited to its channels."""

    #: True when messages may have been missed (unknown or too old ``after``, or the subscriber fell behind).
    missed: bool

    def get(self, timeout: float) -> list[Message]:
        """Wait at most ``timeout`` seconds for messages on the channels; return every one available (or none)."""

    def close(self) -> None:
        """Release the subscription (idempotent)."""


class Broker(Protocol):
    def publish(self, channels: str | Iterable[str], payload: Mapping[str, Any]) -> str:
        """Publish ``payload`` once on every channel given; return the message id."""

    def publish_many(self, messages: Sequence[tuple[str | Iterable[str], Mapping[str, Any]]]) -> list[str]:
        """Publish ``(channels, payload)`` messages in order, in one exchange with the store; return their ids."""

    def position(self) -> str:
        """The id of the newest message ("" when there is none yet): where a page rendered now should resume."""

    def subscribe(self, channels: Iterable[str], *, after: str | None = None) -> Subscription:
        """Messages on ``channels`` published after ``after`` (default: from now on)."""


def channel_set(channels: str | Iterable[str]) -> frozenset[str]:
    """``"a"`` or ``["a", "b"]`` as a set; an empty set is refused (a message nobody could receive is a bug)."""
    result = frozenset([channels]) if isinstance(channels, str) else frozenset(channels)
    if not result or not all(isinstance(name, str) and name for name in result):
        raise ValueError("Name at least one channel, each a non-empty string.")
    return result


class MemoryBroker:
    """The in-process broker: the last ``capacity`` messages in a ring, subscribers woken by a condition."""

    def __init__(self, capacity: int = 1000) -> None:
        self.capacity = capacity
        self.process = secrets.token_hex(4)  # ids from another process or an earlier run are recognised as such
        self._ring: deque[tuple[int, Message]] = deque(maxlen=capacity)
        self._seq = 0
        self._changed = threading.Condition()

    def publish(self, channels: str | Iterable[str], payload: Mapping[str, Any]) -> str:
        names = channel_set(channels)
        with self._changed:
            self._seq += 1
            message = Message(f"{self.process}-{self._seq}", names, dict(payload))
            self._ring.append((self._seq, message))
            self._changed.notify_all()
        return message.id

    def publish_many(self, messages: Sequence[tuple[str | Iterable[str], Mapping[str, Any]]]) -> list[str]:
        return [self.publish(channels, payload) for channels, payload in messages]

    def position(self) -> str:
        with self._changed:
            return f"{self.process}-{self._seq}" if self._seq else ""

    def subscribe(self, channels: Iterable[str], *, after: str | None = None) -> MemorySubscription:
        with self._changed:
            start, missed = self._seq, False
            if after:
                known = self._parse(after)
                if known is None or known > self._seq or (self._ring and known < self._ring[0][0] - 1):
                    missed = True
                else:
                    start = known
        return MemorySubscription(self, channel_set(list(channels)), start, missed)

    def _parse(self, message_id: str) -> int | None:
        process, _, number = message_id.partition("-")
        if process != self.process or not number.isdigit():
            return None
        return int(number)

    def _after(self, cursor: int, channels: frozenset[str], timeout: float) -> tuple[list[Message], int, bool]:
        """Messages after ``cursor`` on ``channels`` (waiting up to ``timeout``), the new cursor, and whether some
        were already dropped from the ring."""
        deadline = time.monotonic() + max(timeout, 0)
        dropped = False
        with self._changed:
            while True:
                dropped = dropped or (bool(self._ring) and self._ring[0][0] > cursor + 1)
                found = [m for seq, m in self._ring if seq > cursor and not m.channels.isdisjoint(channels)]
                cursor = self._seq
                left = deadline - time.monotonic()
                if found or left <= 0:
                    return found, cursor, dropped
                self._changed.wait_for(partial(self._newer_than, cursor), timeout=left)

    def _newer_than(self, cursor: int) -> bool:
        return self._seq > cursor


class MemorySubscription:
    def __init__(self, broker: MemoryBroker, channels: frozenset[str], cursor: int, missed: bool) -> None:
        self.broker = broker
        self.channels = channels
        self.cursor = cursor
        self.missed = missed

    def get(self, timeout: float) -> list[Message]:
        messages, self.cursor, dropped = self.broker._after(self.cursor, self.channels, timeout)
        self.missed = self.missed or dropped
        return messages

    def close(self) -> None:
        """Nothing to release: the subscription is only a cursor."""


def live_position(platform: Platform) -> str:
    """The broker's position for a page being rendered ("" when unknown): its stream resumes from there, so a
    change made between rendering and connecting is not lost."""
    try:
        return broker_for(platform).position()
    except LiveUnavailable:
        return ""


_BROKERS: WeakKeyDictionary[Platform, Broker] = WeakKeyDictionary()
_LOCK = threading.Lock()


def broker_for(platform: Platform) -> Broker:
    """The platform's broker, made on first use: Redis streams when it has Redis, else in this process."""
    with _LOCK:
        broker = _BROKERS.get(platform)
        if broker is None:
            if platform.redis is not None:
                from goatkit.live_redis import RedisBroker

                broker = RedisBroker(platform.redis)
            else:
                broker = MemoryBroker()
            _BROKERS[platform] = broker
        return broker


def use_broker(platform: Platform, broker: Broker) -> None:
    """Give the platform a broker of the caller's choosing (a Redis stream under another key, a bigger ring)."""
    with _LOCK:
        _BROKERS[platform] = broker


def init_app(app: Flask) -> None:
    """Offer ``live_position()`` to templates: a page puts it where its event stream should resume
    (``data-live-since="{{ live_position() }}"``)."""
    from goatkit.platform import current_platform

    app.jinja_env.globals["live_position"] = lambda: live_position(current_platform())
