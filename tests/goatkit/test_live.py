"""The live broker (goatkit/live.py), in process and on a real Redis: the same behaviour from both."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from goatkit.live import Broker, LiveUnavailable, MemoryBroker, broker_for, channel_set, live_position
from goatkit.live_redis import RedisBroker
from goatkit.platform import Platform
from goatkit.settings import Settings


@pytest.fixture(params=["memory", "redis"])
def broker(request: pytest.FixtureRequest) -> Iterator[Broker]:
    if request.param == "memory":
        yield MemoryBroker(capacity=50)
        return
    import redis

    client = redis.Redis.from_url(request.getfixturevalue("redis_url"), socket_timeout=2)
    key = f"goatkit:live:test:{uuid.uuid4().hex}"  # the test Redis is shared: a stream of this test's own
    yield RedisBroker(client, key=key, maxlen=50)
    client.delete(key)
    client.close()


def test_a_subscriber_gets_what_is_published_on_its_channels_after_it_subscribed(broker: Broker) -> None:
    broker.publish("room:1", {"n": 0})  # before subscribing: not delivered
    subscription = broker.subscribe(["room:1", "room:2"])
    first = broker.publish("room:1", {"n": 1})
    broker.publish("room:3", {"n": 2})  # another channel
    last = broker.publish(["room:2", "room:3"], {"n": 3})  # one message on two channels, delivered once
    messages = subscription.get(timeout=1)
    assert [m.payload for m in messages] == [{"n": 1}, {"n": 3}]
    assert [m.id for m in messages] == [first, last]
    assert messages[1].channels == {"room:2", "room:3"}
    assert subscription.missed is False
    assert subscription.get(timeout=0) == []  # nothing new


def test_publish_many_publishes_in_order_in_one_exchange(broker: Broker) -> None:
    subscription = broker.subscribe(["room:1", "room:2"])
    assert broker.publish_many([]) == []
    ids = broker.publish_many([("room:1", {"n": 1}), ("room:3", {"n": 2}), (["room:2", "room:1"], {"n": 3})])
    messages = subscription.get(timeout=1)
    assert [m.payload for m in messages] == [{"n": 1}, {"n": 3}]
    assert [m.id for m in messages] == [ids[0], ids[2]] and len(set(ids)) == 3
    with pytest.raises(ValueError, match="channel"):
        broker.publish_many([((), {"n": 4})])


def test_get_waits_for_a_message_and_returns_when_it_comes(broker: Broker) -> None:
    subscription = broker.subscribe(["room:1"])
    timer = threading.Timer(0.3, lambda: broker.publish("room:1", {"late": True}))
    started = time.monotonic()
    timer.start()
    messages = subscription.get(timeout=5)
    took = time.monotonic() - started
    timer.join()
    assert [m.payload for m in messages] == [{"late": True}]
    assert 0.2 < took < 2.5


def test_get_gives_up_after_its_timeout(broker: Broker) -> None:
    subscription = broker.subscribe(["room:1"])
    broker.publish("room:2", {"other": True})
    started = time.monotonic()
    assert subscription.get(timeout=0.5) == []
    assert 0.4 < time.monotonic() - started < 2.0


def test_resuming_after_a_known_id_replays_what_came_later(broker: Broker) -> None:
    seen = broker.publish("room:1", {"n": 1})
    broker.publish("room:1", {"n": 2})
    broker.publish("room:1", {"n": 3})
    assert broker.position() != seen
    subscription = broker.subscribe(["room:1"], after=seen)
    assert subscription.missed is False
    assert [m.payload["n"] for m in subscription.get(timeout=1)] == [2, 3]
    up_to_date = broker.subscribe(["room:1"], after=broker.position())
    assert up_to_date.missed is False and up_to_date.get(timeout=0) == []


@pytest.mark.parametrize("after", ["nonsense", "abc-1", "99999999999999-0", "-", "1-"])
def test_an_unknown_id_says_messages_may_be_missed_and_starts_from_now(broker: Broker, after: str) -> None:
    broker.publish("room:1", {"n": 1})
    subscription = broker.subscribe(["room:1"], after=after)
    assert subscription.missed is True
    assert subscription.get(timeout=0) == []
    broker.publish("room:1", {"n": 2})
    assert [m.payload["n"] for m in subscription.get(timeout=1)] == [2]


def test_an_id_older_than_what_is_kept_says_messages_were_missed(broker: Broker) -> None:
    old = broker.publish("room:1", {"n": 0})
    for n in range(1, 400):  # well past capacity / maxlen (50; Redis trims approximately, in whole nodes)
        broker.publish("room:2", {"n": n})
    assert broker.subscribe(["room:1"], after=old).missed is True


def test_position_names_the_newest_message() -> None:
    broker = MemoryBroker()
    assert broker.position() == ""
    newest = broker.publish("a", {})
    assert broker.position() == newest


def test_a_memory_subscriber_that_falls_behind_the_ring_learns_it_missed_messages() -> None:
    broker = MemoryBroker(capacity=3)
    subscription = broker.subscribe(["a"])
    for n in range(5):
        broker.publish("a", {"n": n})
    assert [m.payload["n"] for m in subscription.get(timeout=0)] == [2, 3, 4]
    assert subscription.missed is True


def test_ids_of_another_process_are_not_taken_for_ours() -> None:
    one, other = MemoryBroker(), MemoryBroker()
    seen = one.publish("a", {})
    other.publish("a", {})
    assert other.subscribe(["a"], after=seen).missed is True


def test_messages_need_a_channel() -> None:
    with pytest.raises(ValueError, match="Name at least one channel"):
        MemoryBroker().publish([], {})
    with pytest.raises(ValueError, match="Name at least one channel"):
        channel_set(["a", ""])


def test_subscribers_in_threads_each_get_every_message(broker: Broker) -> None:
    subscriptions = [broker.subscribe(["room:1"]) for _ in range(4)]
    got: list[list[Any]] = [[] for _ in subscriptions]

    def read(index: int) -> None:
        deadline = time.monotonic() + 5
        while len(got[index]) < 20 and time.monotonic() < deadline:
            got[index].extend(m.payload["n"] for m in subscriptions[index].get(timeout=0.5))

    threads = [threading.Thread(target=read, args=(i,)) for i in range(len(subscriptions))]
    for thread in threads:
        thread.start()
    for n in range(20):
        broker.publish("room:1", {"n": n})
    for thread in threads:
        thread.join()
    assert got == [list(range(20))] * 4


def test_the_platform_broker_is_redis_when_configured_else_in_process(tmp_path: Path, redis_url: str) -> None:
    plain = Platform(Settings(var_dir=tmp_path / "a"))
    assert isinstance(broker_for(plain), MemoryBroker)
    assert broker_for(plain) is broker_for(plain)
    with_redis = Platform(Settings(var_dir=tmp_path / "b", redis_url=redis_url))
    assert isinstance(broker_for(with_redis), RedisBroker)
    with_redis.close()


def test_an_unreachable_redis_is_a_clear_error_not_a_crash(tmp_path: Path) -> None:
    platform = Platform(Settings(var_dir=tmp_path, redis_url="redis://127.0.0.1:1/0"))
    broker = broker_for(platform)
    with pytest.raises(LiveUnavailable, match=r"^Live updates are unavailable: Redis answered ConnectionError\.$"):
        broker.publish("a", {})
    with pytest.raises(LiveUnavailable):
        broker.subscribe(["a"])
    assert live_position(platform) == ""
