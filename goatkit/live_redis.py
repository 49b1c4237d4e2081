"""The Redis broker of ``goatkit/live.py``: one Redis stream shared by every process.

A message is one ``XADD`` entry (fields ``c``: the channels as a JSON list, ``p``: the payload as JSON), the stream
trimmed to about ``maxlen`` entries.  Subscribers read with ``XREAD BLOCK`` from their own cursor and keep the
entries whose channels they hold, so a reconnecting browser resumes from its ``Last-Event-ID`` (a stream id) without
losing what was published while it was away.  Redis streams rather than pub/sub for exactly that: pub/sub forgets
whatever is published between two connections, and a browser reconnects every minute.

Blocking reads wait at most one second each (the platform's client has a 2 s socket timeout), so a long ``get``
is a few cheap calls.  A reader more than ``maxlen`` entries behind loses the trimmed ones; at the rates of a
help desk (a few changes a second) that needs minutes of stalling, while a stream lives about a minute.

Example::

    broker = RedisBroker(redis.Redis.from_url("redis://localhost:6379/0"))
    broker.publish("room:1", {"said": "hello"})
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from goatkit.live import LiveUnavailable, Message, channel_set

if TYPE_CHECKING:
    import redis

STREAM_KEY = "goatkit:live"
_ID = re.compile(r"^(\d{1,20})-(\d{1,20})$")
_READ_BATCH = 1000


def _id_key(message_id: str) -> tuple[int, int] | None:
    match = _ID.match(message_id)
    return (int(match.group(1)), int(match.group(2))) if match else None


@contextmanager
def _reachable() -> Iterator[None]:
    import redis as redis_lib

    try:
        yield
    except redis_lib.RedisError as error:
        raise LiveUnavailable(f"Live updates are unavailable: Redis answered {type(error).__name__}.") from error


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _entry(channels: str | Iterable[str], payload: Mapping[str, Any]) -> dict[str, str]:
    """A message as the fields of its stream entry: channels ``c`` and payload ``p``, JSON."""
    return {"c": json.dumps(sorted(channel_set(channels))), "p": json.dumps(dict(payload))}


class RedisBroker:
    def __init__(self, client: redis.Redis, *, key: str = STREAM_KEY, maxlen: int = 10_000) -> None:
        self.client = client
        self.key = key
        self.maxlen = maxlen

    def publish(self, channels: str | Iterable[str], payload: Mapping[str, Any]) -> str:
        fields = _entry(channels, payload)
        with _reachable():
            added = self.client.xadd(self.key, fields, maxlen=self.maxlen, approximate=True)  # type: ignore[arg-type]
        return _text(added)

    def publish_many(self, messages: Sequence[tuple[str | Iterable[str], Mapping[str, Any]]]) -> list[str]:
        """One round trip for all: a pipeline of XADDs (not a transaction; each message stands alone)."""
        entries = [_entry(channels, payload) for channels, payload in messages]
        if not entries:
            return []
        with _reachable():
            pipe = self.client.pipeline(transaction=False)
            for fields in entries:
                pipe.xadd(self.key, fields, maxlen=self.maxlen, approximate=True)  # type: ignore[arg-type]
            return [_text(added) for added in pipe.execute()]

    def position(self) -> str:
        with _reachable():
            newest = self.client.xrevrange(self.key, count=1)
        return _text(newest[0][0]) if newest else ""

    def subscribe(self, channels: Iterable[str], *, after: str | None = None) -> RedisSubscription:
        names = channel_set(list(channels))
        newest = self.position() or "0-0"
        if not after:
            return RedisSubscription(self, names, newest, missed=False)
        with _reachable():
            kept = self._kept(after, newest)
        return RedisSubscription(self, names, after if kept else newest, missed=not kept)

    def _kept(self, after: str, newest: str) -> bool:
        """Whether every message published after ``after`` is still in the stream."""
        wanted, last = _id_key(after), _id_key(newest)
        if wanted is None or last is None or wanted > last:
            return False
        info = self.client.xinfo_stream(self.key) if wanted != last else None
        if not info:
            return True
        first = info.get("first-entry")
        if first is not None and wanted >= (_id_key(_text(first[0])) or (0, 0)):
            return True  # every entry after it is still there
        # Older than the first entry kept: complete only if the stream never lost an entry (Redis 7 counts them).
        return "entries-added" in info and int(info["entries-added"]) == int(info["length"])

    def read(self, cursor: str, block_ms: int | None) -> list[tuple[str, dict[Any, Any]]]:
        with _reachable():
            answer: Any = self.client.xread({self.key: cursor}, count=_READ_BATCH, block=block_ms)
        if not answer:
            return []
        # RESP2 answers [[key, entries]]; RESP3 {key: [entries]}
        entries = answer[0][1] if isinstance(answer, list) else next(iter(answer.values()))[0]
        return [(_text(entry_id), fields) for entry_id, fields in entries]


class RedisSubscription:
    def __init__(self, broker: RedisBroker, channels: frozenset[str], cursor: str, *, missed: bool) -> None:
        self.broker = broker
        self.channels = channels
        self.cursor = cursor
        self.missed = missed

    def get(self, timeout: float) -> list[Message]:
        deadline = time.monotonic() + max(timeout, 0)
        while True:
            left = deadline - time.monotonic()
            block = int(min(left, 1.0) * 1000) if left > 0.001 else None
            entries = self.broker.read(self.cursor, block)
            found = self._matching(entries)
            if found or (len(entries) < _READ_BATCH and time.monotonic() >= deadline):
                return found

    def _matching(self, entries: list[tuple[str, dict[Any, Any]]]) -> list[Message]:
        found = []
        for entry_id, fields in entries:
            self.cursor = entry_id
            values = {_text(name): _text(value) for name, value in fields.items()}
            channels = frozenset(json.loads(values.get("c", "[]")))
            if not channels.isdisjoint(self.channels):
                found.append(Message(entry_id, channels, json.loads(values.get("p", "{}"))))
        return found

    def close(self) -> None:
        """Nothing to release: connections go back to the client's pool after each read."""
