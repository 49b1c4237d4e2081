"""The app factory, probes, request ids and error pages."""

import json
import logging
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from goatkit.logs import JsonFormatter
from goatkit.platform import current_platform
from gotrs_app import create_app
from modules.db import MIGRATIONS


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Flask:
    app = create_app({"database_url": db_url, "var_dir": tmp_path / "var", "log_format": "text"})

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    yield app
    current_platform(app).close()


def test_healthz_answers_without_a_database(tmp_path: Path) -> None:
    app = create_app({"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none", "var_dir": tmp_path})
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_names_an_unreachable_database(tmp_path: Path) -> None:
    app = create_app({"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none", "var_dir": tmp_path})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "checks": {"database": "unreachable"}}


def test_readyz_wants_an_initialised_schema(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "schema": "not initialised: run `gotrs db init`"}
    MIGRATIONS.upgrade(current_platform(app).engine)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"database": "ok", "schema": "ok"}}


def test_readyz_checks_redis_when_configured(redis_url: str, tmp_path: Path, sqlite_url: str) -> None:
    good = create_app({"database_url": sqlite_url, "redis_url": redis_url, "var_dir": tmp_path})
    MIGRATIONS.upgrade(current_platform(good).engine)
    assert good.test_client().get("/readyz").get_json()["checks"]["redis"] == "ok"
    bad = create_app({"database_url": sqlite_url, "redis_url": "redis://127.0.0.1:1/0", "var_dir": tmp_path})
    response = bad.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"] == "unreachable"


def test_request_id_is_echoed_or_generated(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers["X-Request-ID"]
    assert generated != "bad id with spaces" and len(generated) == 12


def test_unexpected_error_shows_a_ref_not_a_stack_trace(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="goatkit.errors"):
        response = client.get("/boom", headers={"X-Request-ID": "ref42"})
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong (ref ref42)." in body
    assert "secret internals" not in body and "Traceback" not in body
    assert any(r.exc_info and "secret internals" in str(r.exc_info[1]) for r in caplog.records)
    api = client.get("/boom", headers={"Accept": "application/json", "X-Request-ID": "ref43"})
    assert api.get_json() == {"error": {"status": 500, "message": "Something went wrong (ref ref43).", "ref": "ref43"}}


def test_not_found_is_json_for_api_and_html_for_browsers(app: Flask) -> None:
    client = app.test_client()
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404
    assert api.get_json()["error"]["status"] == 404
    page = client.get("/nothing-here", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    assert "404" in page.get_data(as_text=True)


def test_access_log_is_json_with_request_id(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="goatkit.access"):
        app.test_client().get("/healthz", headers={"X-Request-ID": "log-me"})
    records = [r for r in caplog.records if r.name == "goatkit.access"]
    assert len(records) == 1
    entry = json.loads(JsonFormatter().format(records[0]))
    assert entry["request_id"] == "log-me"
    assert entry["status"] == 200 and entry["path"] == "/healthz" and entry["method"] == "GET"
    assert entry["message"] == "GET /healthz 200" and entry["duration_ms"] >= 0


def test_request_id_is_not_left_behind_after_the_request(app: Flask) -> None:
    app.test_client().get("/healthz", headers={"X-Request-ID": "gone-after"})
    assert logging.getLogger("x").makeRecord("x", logging.INFO, __file__, 1, "m", (), None).request_id == "-"


def test_sqlite_connections_use_wal_and_foreign_keys(sqlite_url: str, tmp_path: Path) -> None:
    app = create_app({"database_url": sqlite_url, "var_dir": tmp_path})
    with current_platform(app).engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_request_body_over_the_limit_is_refused_unread_with_the_limit_named(tmp_path: Path) -> None:
    app = create_app({"var_dir": tmp_path, "log_format": "text", "request_max_bytes": 4096})
    response = app.test_client().post(
        "/api/v1/auth/login", data=b"x" * 10_000, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["message"] == "The request is larger than the limit of 4 KB."
