"""Hot reload: a watchdog observer swaps in a changed routes folder; a broken edit keeps the table that works."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from flask import Flask, url_for

from goatkit.routing import current_router
from goatkit.settings import load_settings
from tests.goatkit.routing.conftest import AppMaker, group
from tests.waiting import RELOAD_SECONDS, within

HELLO = group("g", "  routes:\n    - {path: /hello, handler: t.hello}\n")
WITH_NEW = group("g", "  routes:\n    - {path: /hello, handler: t.hello}\n    - {path: /new, handler: t.create}\n")


def test_a_changed_file_is_served_within_a_second_and_a_broken_one_is_refused(
    make_app: AppMaker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app({"a.yaml": HELLO}, watch=True)
    client = app.test_client()
    assert client.get("/new").status_code == 404

    (tmp_path / "routes" / "a.yaml").write_text(WITH_NEW)
    assert within(RELOAD_SECONDS, lambda: client.get("/new").status_code == 201)

    def errors() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and r.name == "goatkit.routing"]

    with caplog.at_level(logging.ERROR, logger="goatkit.routing"):
        (tmp_path / "routes" / "a.yaml").write_text(WITH_NEW.replace("t.create", "t.craete"))
        assert within(RELOAD_SECONDS, lambda: bool(errors()))
    assert errors() == [
        "routes not reloaded, keeping the previous table: routes/a.yaml:7: spec.routes.1.handler: GET /new: "
        "unknown handler 't.craete'; did you mean 't.create'?"
    ]
    assert client.get("/new").status_code == 201  # the previous table still serves

    (tmp_path / "routes" / "b.yaml").write_text(group("b", "  routes:\n    - {path: /b, handler: t.hello}\n"))
    (tmp_path / "routes" / "a.yaml").write_text(HELLO)  # fixed; and a new file
    assert within(RELOAD_SECONDS, lambda: client.get("/b").status_code == 200 and client.get("/new").status_code == 404)


def test_requests_during_reloads_always_see_a_whole_table(make_app: AppMaker, tmp_path: Path) -> None:
    app = make_app({"a.yaml": HELLO})
    router = current_router(app)
    failures: list[str] = []
    stop = threading.Event()

    def hammer() -> None:
        client = app.test_client()
        while not stop.is_set():
            response = client.get("/hello")
            if response.status_code != 200:
                failures.append(f"/hello answered {response.status_code}")
            with app.test_request_context("/hello"):
                if url_for("t.hello") != "/hello":
                    failures.append("url_for lost t.hello")

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for round_ in range(20):
        (tmp_path / "routes" / "a.yaml").write_text(WITH_NEW if round_ % 2 else HELLO)
        assert router.reload() is True
    stop.set()
    for thread in threads:
        thread.join()
    assert failures == []


def test_the_setting_turns_watching_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GOTRS_ROUTES_WATCH", "1")
    assert load_settings(var_dir=tmp_path).routes_watch is True
    monkeypatch.delenv("GOTRS_ROUTES_WATCH")
    assert load_settings(var_dir=tmp_path).routes_watch is False


def test_the_app_watches_when_the_setting_says_so(tmp_path: Path, sqlite_url: str) -> None:
    from gotrs_app import create_app

    app: Flask = create_app({"var_dir": tmp_path, "database_url": sqlite_url, "routes_watch": True})
    router = current_router(app)
    try:
        assert router.watching
    finally:
        router.stop()
