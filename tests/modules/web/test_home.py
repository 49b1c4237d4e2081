"""The start page and the page shell, through the Flask test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from goatkit.platform import current_platform
from gotrs_app import create_app
from modules.web.home import load_overview, state_bucket
from tests.modules.web import (
    AGENTS,
    CUSTOMERS,
    EXPECTED_BY_STATE,
    EXPECTED_TOP_QUEUES,
    create_helpdesk,
)


def _app(database_url: str, var_dir: Path) -> Iterator[Flask]:
    app = create_app({"database_url": database_url, "var_dir": var_dir, "log_format": "text"})
    yield app
    current_platform(app).close()


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    yield from _app(db_url, tmp_path)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _page(client: FlaskClient, status: int = 200) -> str:
    response = client.get("/")
    assert response.status_code == status
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def _text(html: str) -> str:
    """The visible text of a page, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- figures -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state_type", "bucket"),
    [
        ("new", "new"),
        ("open", "open"),
        ("pending reminder", "pending"),
        ("pending auto", "pending"),
        ("closed", "closed"),
        ("merged", "closed"),
        ("removed", "closed"),
    ],
)
def test_state_types_map_onto_four_buckets(state_type: str, bucket: str) -> None:
    assert state_bucket(state_type) == bucket


def test_overview_counts_tickets_queues_and_people(app: Flask) -> None:
    engine = current_platform(app).engine
    create_helpdesk(engine)
    with engine.connect() as conn:
        overview = load_overview(conn)
    assert overview.by_state == EXPECTED_BY_STATE
    assert overview.top_queues == EXPECTED_TOP_QUEUES  # closed tickets don't count; ties sort by name
    assert (overview.agents, overview.customers) == (AGENTS, CUSTOMERS)  # invalid accounts don't count
    assert (overview.total, overview.active) == (90, 30)


def test_start_page_shows_the_figures(app: Flask, client: FlaskClient) -> None:
    create_helpdesk(current_platform(app).engine)
    html = _page(client)
    assert "Welcome to GOTRS" in html
    shown = dict(re.findall(r'data-state="(\w+)">([\d,]+)<', html))
    assert shown == {state: str(count) for state, count in EXPECTED_BY_STATE.items()}
    text = _text(html)
    assert "90 in total · 30 need attention" in text
    assert "Postmaster 12 Raw 11 Misc 3 Sales 2 Billing 1" in text
    assert "Hardware" not in text
    assert f"Agents {AGENTS} Customers {CUSTOMERS}" in text


def test_start_page_links(app: Flask, client: FlaskClient) -> None:
    create_helpdesk(current_platform(app).engine)
    html = _page(client)
    for href, label in [("/login", "Sign in"), ("/healthz", "Health"), ("/readyz", "Readiness")]:
        assert re.search(rf'<a href="{re.escape(href)}"[^>]*>{label}</a>', html), label


def test_an_initialised_helpdesk_without_tickets(app: Flask, client: FlaskClient) -> None:
    create_helpdesk(current_platform(app).engine, tickets=False)
    text = _text(_page(client))
    assert "0 in total · 0 need attention" in text
    assert "No tickets waiting. All queues are clear." in text


def test_an_empty_database_asks_for_db_init(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="gotrs.web.home"):
        html = _page(client, status=503)
    text = _text(html)
    assert "The database is not set up yet" in text
    assert "gotrs db init" in text
    assert "Error" not in text and "ticket_state" not in text  # no raw database error reaches the user
    assert any(r.message.startswith("start page: database uninitialised") for r in caplog.records)


def test_other_database_faults_are_not_blamed_on_setup(app: Flask) -> None:
    engine = current_platform(app).engine
    create_helpdesk(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE ticket"))
        conn.execute(text("CREATE TABLE ticket (id INTEGER PRIMARY KEY)"))  # present, but missing columns
    response = app.test_client().get("/", headers={"X-Request-ID": "ref77"})
    assert response.status_code == 500
    assert "Something went wrong (ref ref77)." in response.get_data(as_text=True)


def test_an_unreachable_database_says_so(tmp_path: Path) -> None:
    # Port 1 on loopback refuses connections at once.
    for app in _app("postgresql+psycopg://gotrs:secret@127.0.0.1:1/gotrs?connect_timeout=2", tmp_path):
        text = _text(_page(app.test_client(), status=503))
        assert "The database cannot be reached" in text
        assert "secret" not in text and "gotrs db init" not in text


# --- the shell -----------------------------------------------------------------------------------------------------


def test_shell_loads_vendored_assets_and_no_inline_script(client: FlaskClient) -> None:
    html = _page(client, status=503)
    for asset in [
        "/static/css/gotrs.css",
        "/static/js/goatkit.js",
        "/static/vendor/htmx.min.js",
        "/static/vendor/alpine.min.js",
    ]:
        assert f'"{asset}"' in html
        assert client.get(asset).status_code == 200
    assert re.search(r'<script src="/static/vendor/alpine.min.js" defer>', html)
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert not re.search(r"\sstyle=", html), "inline style"
    for url in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert url.startswith(("/", "#")) and not url.startswith("//"), f"external URL {url}"


def test_shell_is_accessible(client: FlaskClient) -> None:
    html = _page(client, status=503)
    assert '<html lang="en"' in html
    assert re.search(r'<a href="#main"[^>]*>\s*Skip to content\s*</a>', html)
    assert '<main id="main"' in html
    for landmark in ("<header", "<nav", "<footer"):
        assert landmark in html
    assert "<title>GOTRS · Helpdesk</title>" in html


def test_footer_shows_the_request_ref(client: FlaskClient) -> None:
    response = client.get("/", headers={"X-Request-ID": "abc123def456"})
    assert 'data-testid="request-ref">abc123def456</code>' in response.get_data(as_text=True)


def test_built_css_contains_the_classes_the_templates_use() -> None:
    css = (Path(__file__).resolve().parents[3] / "goatkit/static/css/gotrs.css").read_text()
    for selector in (
        ".gk-card",
        ".gk-btn-primary",
        ".sr-only",
        ".lg\\:grid-cols-4",
        ".w-11\\/12",
        ".dark\\:bg-zinc-950",
        "[x-cloak]",
        ".htmx-indicator",
    ):
        assert selector in css, f"{selector} missing: rebuild with scripts/build-assets.sh"


def _render_shell(app: Flask, **context: object) -> str:
    from flask import render_template_string

    with app.test_request_context("/"):
        app.preprocess_request()
        return render_template_string('{% extends "goatkit/base.html" %}{% block content %}x{% endblock %}', **context)


def test_shell_renders_nav_items_and_marks_the_active_one(app: Flask) -> None:
    html = _render_shell(
        app,
        app_name="Desk",
        nav_items=[{"label": "Queues", "href": "/queues", "active": True}, {"label": "Reports", "href": "/reports"}],
    )
    assert "<title>Desk</title>" in html
    assert re.search(r'<a href="/queues" aria-current="page"[^>]*>Queues</a>', html)
    assert re.search(r'<a href="/reports"\s+class=[^>]*>Reports</a>', html)
    assert 'aria-label="Main"' in html


def test_shell_defaults_without_context(app: Flask) -> None:
    html = _render_shell(app)
    assert "<title>GOTRS</title>" in html  # the app's APP_NAME
    app.config["APP_NAME"] = ""
    assert "<title>GoatKit</title>" in _render_shell(app)
    assert "<nav" not in html  # no items, no navigation landmark
    assert 'name="csrf-token"' not in html


def test_shell_shows_flash_messages_by_category(app: Flask) -> None:
    from flask import flash

    assert app.secret_key, "the platform must give the app its persisted secret key"
    with app.test_request_context("/"):
        app.preprocess_request()
        flash("Saved.", "success")
        flash("Queue 'Raw' still has 12 open tickets.", "error")
        flash("Plain.")
        from flask import render_template_string

        html = render_template_string('{% extends "goatkit/base.html" %}{% block content %}{% endblock %}')
    assert re.search(r'role="status"\s+class="[^"]*bg-emerald-50[^"]*">\s*<p class="flex-1">Saved.</p>', html)
    assert re.search(r'role="alert"\s+class="[^"]*bg-red-50[^"]*">\s*<p class="flex-1">Queue &#39;Raw&#39;', html)
    assert re.search(r'role="status"\s+class="[^"]*bg-brand-50[^"]*">\s*<p class="flex-1">Plain.</p>', html)


def test_shell_writes_the_csrf_meta_tag(app: Flask) -> None:
    assert '<meta name="csrf-token" content="t0k3n">' in _render_shell(app, csrf_token=lambda: "t0k3n")
    assert '<meta name="csrf-token" content="abc">' in _render_shell(app, csrf_token="abc")
