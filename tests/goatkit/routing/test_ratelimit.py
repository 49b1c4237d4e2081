"""rateLimit: 429 with Retry-After once a client is over the limit, counted in the database or in Redis."""

from __future__ import annotations

import types
import uuid

import pytest
from flask import Flask

from goatkit.db.tables import goatkit_metadata
from goatkit.platform import current_platform
from goatkit.routing import ratelimit
from tests.goatkit.routing.conftest import AppMaker, group

#: 19.5 s before 1_000_000_020, a boundary of 1m and of 30s windows: Retry-After rounds up to 20.
NOW = 1_000_000_000.5


@pytest.fixture(params=["database", "redis"])
def limited_app(request: pytest.FixtureRequest, make_app: AppMaker, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """An app with a 3-per-minute route at a path of its own (counters in shared Redis never collide)."""
    clock = types.SimpleNamespace(time=lambda: NOW)
    monkeypatch.setattr(ratelimit, "time", clock)
    settings = {"redis_url": request.getfixturevalue("redis_url")} if request.param == "redis" else {}
    path = f"/limited-{uuid.uuid4().hex[:8]}"
    routes = (
        "  routes:\n"
        f"    - {{path: {path}, method: [GET, POST], handler: t.hello, rateLimit: {{requests: 3, period: 1m}}}}\n"
        f"    - {{path: /api{path}, handler: t.hello, middleware: [sign_in], "
        "rateLimit: {requests: 1, period: 30s, key: user}}\n"
    )
    app = make_app({"a.yaml": group("g", routes)}, **settings)
    if request.param == "database":
        goatkit_metadata.create_all(current_platform(app).engine)
    else:
        assert current_platform(app).redis is not None
    app.config["LIMITED_PATH"] = path
    app.config["CLOCK"] = clock
    return app


def test_over_the_limit_answers_429_with_retry_after(limited_app: Flask) -> None:
    path = limited_app.config["LIMITED_PATH"]
    client = limited_app.test_client()
    statuses = [client.get(path).status_code, client.post(path).status_code, client.get(path).status_code]
    assert statuses == [200, 200, 200]  # the methods of one route share its limit
    refused = client.get(path, headers={"Accept": "text/html"})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "20"
    assert "Too many requests: this page allows 3 per minute. Try again in 20 seconds." in refused.get_data(
        as_text=True
    )
    other = limited_app.test_client().get(path, environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 200  # another address has its own count
    limited_app.config["CLOCK"].time = lambda: NOW + 20  # the next window: counted in the other key slot
    assert client.get(path).status_code == 200


def test_user_keys_count_the_identity_the_middleware_established(limited_app: Flask) -> None:
    path = "/api" + limited_app.config["LIMITED_PATH"]
    first = limited_app.test_client().get(path, environ_base={"REMOTE_ADDR": "192.0.2.1"})
    second = limited_app.test_client().get(path, environ_base={"REMOTE_ADDR": "192.0.2.2"})
    assert (first.status_code, second.status_code) == (200, 429)  # same user, two addresses
    assert second.headers["Retry-After"] == "20"
    assert second.get_json()["error"] == {
        "status": 429,
        "message": "Too many requests: this page allows 1 per 30 seconds. Try again in 20 seconds.",
        "ref": "-",
    }


@pytest.mark.parametrize(("period", "text"), [("1m", "minute"), ("30s", "30 seconds"), ("2h", "2 hours")])
def test_periods_read_as_words(period: str, text: str) -> None:
    assert ratelimit.describe_period(period) == text
