"""The start page and the page shell, through the Flask test client, on SQLite and PostgreSQL.

Agents sign in through the real API or the real form; nobody else may see the helpdesk's figures.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, insert, text, update

from goatkit.auth.identity import Identity, set_identity
from goatkit.platform import current_platform
from gotrs_app import create_app
from modules.db.schema import metadata
from modules.web.home import index, load_overview, state_bucket
from tests.modules.web import (
    ADMIN,
    ADMIN_NAME,
    ADMIN_PW,
    AGENTS,
    CUSTOMER,
    CUSTOMER_NAME,
    CUSTOMER_PW,
    CUSTOMERS,
    EXPECTED_BY_STATE,
    EXPECTED_TOP_QUEUES,
    NEW_QUEUES,
    close_welcome_ticket,
    create_helpdesk,
    init_database,
)

ALL_QUEUES = ["Postmaster", "Raw", "Junk", "Misc", *NEW_QUEUES]
#: Any statement that reads helpdesk data (the catalogue query behind the db-init hint names no table).
HELPDESK_SQL = re.compile(r"\b(ticket\w*|queue|users|customer_user)\b", re.IGNORECASE)
_FIELD_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


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


@pytest.fixture
def desk(app: Flask) -> Flask:
    """The app on a helpdesk with queues, people and tickets (tests.modules.web)."""
    create_helpdesk(current_platform(app).engine)
    return app


def _page(client: FlaskClient, status: int = 200, **headers: str) -> str:
    response = client.get("/", headers=headers)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def _text(html: str) -> str:
    """The visible text of a page, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _bearer(client: FlaskClient, path: str, login: str, password: str) -> dict[str, str]:
    response = client.post(path, json={"login": login, "password": password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def agent_headers(client: FlaskClient) -> dict[str, str]:
    """Sign in as root@localhost through the API."""
    return _bearer(client, "/api/v1/auth/login", ADMIN, ADMIN_PW)


def _form_csrf(html: str) -> str:
    match = _FIELD_CSRF.search(html)
    assert match, "no csrf_token field"
    return match.group(1)


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement ``engine`` runs inside the block."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _assert_no_figures(html: str) -> None:
    text = _text(html)
    assert "in total" not in text and "data-state=" not in html and "queue-counts" not in html
    assert "Busiest queues" not in text and not re.search(r"\b(Agents|Customers) \d", text)
    shown = [queue for queue in ALL_QUEUES if re.search(rf"\b{queue}\b", text)]
    assert shown == [], "queue names leak"


def _assert_csp_clean(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert not re.search(r"\sstyle=", html), "inline style"


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


def test_overview_counts_tickets_queues_and_people(desk: Flask) -> None:
    with current_platform(desk).engine.connect() as conn:
        overview = load_overview(conn)
    assert overview.by_state == EXPECTED_BY_STATE
    assert overview.top_queues == EXPECTED_TOP_QUEUES  # closed tickets don't count; ties sort by name
    assert (overview.agents, overview.customers) == (AGENTS, CUSTOMERS)  # invalid accounts don't count
    assert (overview.total, overview.active) == (91, 31)


def test_agents_see_the_figures(desk: Flask) -> None:
    client = desk.test_client()
    html = _page(client, **agent_headers(client))
    assert "Welcome to GOTRS" in html
    shown = dict(re.findall(r'data-state="(\w+)">([\d,]+)<', html))
    assert shown == {state: str(count) for state, count in EXPECTED_BY_STATE.items()}
    text = _text(html)
    assert f"Signed in as {ADMIN_NAME}. Here is where your helpdesk stands." in text
    assert "91 in total · 31 need attention" in text
    assert "Postmaster 12 Raw 12 Misc 3 Sales 2 Billing 1" in text
    assert "Hardware" not in text
    assert f"Agents {AGENTS} Customers {CUSTOMERS}" in text
    for href, label in [("/healthz", "Health"), ("/readyz", "Readiness")]:
        assert re.search(rf'<a href="{re.escape(href)}"[^>]*>{label}</a>', html), label
    assert "sign-in" not in text.lower() and "Sign in" not in text  # neither the page's buttons nor the header's
    _assert_csp_clean(html)


def test_anonymous_visitors_get_the_welcome_and_sign_in_buttons_only(desk: Flask) -> None:
    with _statements(current_platform(desk).engine) as statements:
        html = _page(desk.test_client())
    assert [s for s in statements if HELPDESK_SQL.search(s)] == []  # no helpdesk query ran at all
    _assert_no_figures(html)
    text = _text(html)
    assert "Welcome to GOTRS" in text and "Agents sign in to work their queues" in text
    block = re.search(r'data-testid="sign-in-buttons">(.*?)</div>', html, re.DOTALL)
    assert block, "no sign-in buttons"
    buttons = re.findall(r'<a href="([^"]+)" class="(gk-btn[^"]*)">([^<]+)</a>', block.group(1))
    assert [(href, label) for href, _, label in buttons] == [
        ("/login", "Agent sign-in"),
        ("/customer/login", "Customer sign-in"),
    ]
    assert buttons[0][1] == "gk-btn-primary"
    assert "System" not in text and "/readyz" not in html
    assert 'data-testid="sign-out"' not in html and "Sign in<" not in html  # no third, unspecific header link
    _assert_csp_clean(html)
    with _statements(current_platform(desk).engine) as again:
        _page(desk.test_client())
    assert again == []  # once the schema was seen complete, the public page asks the database nothing


def test_customers_see_no_figures(desk: Flask) -> None:
    client = desk.test_client()
    headers = _bearer(client, "/api/v1/customer/auth/login", CUSTOMER, CUSTOMER_PW)
    with _statements(current_platform(desk).engine) as statements:
        html = _page(client, **headers)
    assert [s for s in statements if re.search(r"\bticket\w*\b|\bqueue\b", s)] == []
    _assert_no_figures(html)
    text = _text(html)
    assert f"Signed in as {CUSTOMER_NAME}. The customer portal, where you will follow your requests" in text
    assert "Agent sign-in" not in text and "Customer sign-in" not in text  # signed in already
    assert re.search(r'<form method="post" action="/customer/logout"', html)


def test_the_header_shows_the_agent_and_signs_out(desk: Flask) -> None:
    client = desk.test_client()
    form = client.get("/login")
    signed_in = client.post(
        "/login", data={"login": ADMIN, "password": ADMIN_PW, "csrf_token": _form_csrf(form.get_data(as_text=True))}
    )
    assert (signed_in.status_code, signed_in.headers["Location"]) == (303, "/")

    html = _page(client)
    assert re.search(rf'data-testid="signed-in-as">{ADMIN_NAME}</span>', html)
    assert "91 in total" in _text(html)
    sign_out = re.search(r'<form method="post" action="/logout"[^>]*>(.*?)</form>', html, re.DOTALL)
    assert sign_out and 'data-testid="sign-out"' in sign_out.group(1)
    assert client.post("/logout").status_code == 403  # the form's CSRF token is required
    assert "91 in total" in _text(_page(client))

    signed_out = client.post("/logout", data={"csrf_token": _form_csrf(sign_out.group(1))})
    assert (signed_out.status_code, signed_out.headers["Location"]) == (303, "/login")
    html = _page(client)
    _assert_no_figures(html)
    assert "Agent sign-in" in _text(html) and 'data-testid="signed-in-as"' not in html


def test_a_helpdesk_as_db_init_leaves_it(app: Flask, client: FlaskClient) -> None:
    engine = current_platform(app).engine
    init_database(engine)
    headers = agent_headers(client)
    text = _text(_page(client, **headers))
    assert "1 in total · 1 need attention" in text  # OTRS's welcome ticket
    assert "Raw 1" in text and "Agents 1 Customers 0" in text

    close_welcome_ticket(engine)
    text = _text(_page(client, **headers))
    assert "1 in total · 0 need attention" in text
    assert "No tickets waiting. All queues are clear." in text


# --- database problems ---------------------------------------------------------------------------------------------


def test_an_empty_database_asks_for_db_init(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="gotrs.web.home"):
        html = _page(client, status=503)
    text = _text(html)
    assert "The database is not set up yet" in text
    assert "gotrs db init" in text
    assert "Error" not in text and "ticket_state" not in text  # no raw database error reaches the user
    assert "Agent sign-in" not in text  # signing in cannot work yet
    assert [r.message for r in caplog.records] == ["start page: database uninitialised"]


def test_an_unreachable_database_says_so(tmp_path: Path) -> None:
    # Port 1 on loopback refuses connections at once.
    for app in _app("postgresql+psycopg://gotrs:secret@127.0.0.1:1/gotrs?connect_timeout=2", tmp_path):
        text = _text(_page(app.test_client(), status=503))
        assert "The database cannot be reached" in text
        assert "secret" not in text and "gotrs db init" not in text


def _agent_view(app: Flask) -> tuple[str, int]:
    """The page as a signed-in agent sees it, when the database went away after the sign-in (which needs it)."""
    with app.test_request_context("/"):
        app.preprocess_request()
        set_identity(Identity(realm="agent", id=1, login=ADMIN, name=ADMIN_NAME, session_id="s" * 32))
        return index()


def test_agents_are_told_about_a_missing_or_unreachable_database(
    app: Flask, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="gotrs.web.home"):
        html, status = _agent_view(app)
    assert status == 503 and "The database is not set up yet" in _text(html) and "gotrs db init" in html
    assert caplog.records[-1].message.startswith("start page: database uninitialised (")

    for gone in _app("postgresql+psycopg://gotrs:secret@127.0.0.1:1/gotrs?connect_timeout=2", tmp_path / "gone"):
        html, status = _agent_view(gone)
        assert status == 503 and "The database cannot be reached" in _text(html) and "secret" not in html


def test_other_database_faults_are_not_blamed_on_setup(desk: Flask) -> None:
    client = desk.test_client()
    headers = agent_headers(client)
    with current_platform(desk).engine.begin() as conn:
        conn.execute(text("ALTER TABLE ticket_state_type RENAME COLUMN name TO type_name"))  # all tables still there
    response = client.get("/", headers={**headers, "X-Request-ID": "ref77"})
    assert response.status_code == 500
    assert "Something went wrong (ref ref77)." in response.get_data(as_text=True)


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
    _assert_csp_clean(html)
    for url in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert url.startswith(("/", "#")) and not url.startswith("//"), f"external URL {url}"


def test_shell_is_accessible(client: FlaskClient) -> None:
    html = _page(client, status=503)
    assert '<html lang="en"' in html
    assert re.search(r'<a href="#main"[^>]*>\s*Skip to content\s*</a>', html)
    assert '<main id="main"' in html
    for landmark in ("<header", "<footer"):  # no <nav> without links (test_shell_renders_nav_items...)
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
        ".sm\\:inline",  # the signed-in name in the header
        ".sm\\:block",  # the header's sign-out form
        ".hover\\:bg-zinc-50",  # the secondary sign-in button
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
    # Sign-in gives every page a CSRF token (goatkit.auth's csrf_token context function), for htmx to send.
    assert re.search(r'<meta name="csrf-token" content="[0-9a-f]{64}">', html)


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


def test_agents_see_only_queues_of_groups_they_may_read(desk: Flask) -> None:
    groups, queue, group_user = (metadata.tables[n] for n in ("permission_groups", "queue", "group_user"))
    engine = current_platform(desk).engine
    now = datetime.now().replace(microsecond=0)
    audit = {"create_time": now, "create_by": 1, "change_time": now, "change_by": 1}
    with engine.begin() as conn:
        secret = conn.execute(insert(groups).values(name="secret", valid_id=1, **audit)).inserted_primary_key[0]
        conn.execute(update(queue).where(queue.c.name == "Sales").values(group_id=secret))
    client = desk.test_client()
    headers = agent_headers(client)
    hidden = _text(_page(client, **headers))
    assert "Sales" not in hidden
    assert "83 in total" in hidden  # the 8 Sales tickets (2 new, 6 closed) are not counted
    with engine.begin() as conn:
        conn.execute(insert(group_user).values(user_id=1, group_id=secret, permission_key="ro", **audit))
    shown = _text(_page(client, **headers))
    assert "Sales" in shown and "91 in total" in shown
