"""What the ticket benchmarks need before measuring: a signed-in agent, the queue to show, the rows to expect.

Nothing here is measured.  :func:`prepare` gives the dataset's typical agent (rw on 4 groups) a fresh random
password, signs in through the real sign-in API in-process (the bearer token every measured request carries),
picks that agent's busiest readable queue, and computes with the floor's own statement which tickets the queue
pages must show first and last: the harness checks both the floor and the app show them before it measures, so
both serve the same rows.

Example::

    facts = prepare(dataset, redis_url="")
    facts.paths("app")["queue"]          # '/agent/queues/101'
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import Connection, create_engine, text

from benchmarks.tickets import floor
from benchmarks.tickets.app import settings
from benchmarks.tickets.dataset import Dataset

ROOT = Path(__file__).resolve().parents[2]
QUEUE_SHAPES = ("queues", "queue")
SHAPE_TITLES = {
    "queues": "queue view, all my queues",
    "queue": "queue view, busiest queue",
    "search": "full-text search, rotating",
    "search_needle": "search for one ticket or none",
    "create": "create via API, 1 client",
    "create_concurrent": "create via API, parallel clients",
}


@dataclass(frozen=True)
class Facts:
    agent: str
    agent_id: int
    queue_id: int
    expected: dict[str, tuple[str, str]]  # queue shape -> first and last ticket number of its first page
    secret_key: str
    var_dir: Path
    token: str
    fields: tuple[str, ...] = field(default=())  # dynamic fields the app's queue view shows as columns

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def paths(self, target: str) -> dict[str, str]:
        if target == "floor":
            base = {"user_id": self.agent_id} | ({"fields": ",".join(self.fields)} if self.fields else {})
            return {
                "queues": "/queues?" + urlencode(base),
                "queue": "/queues?" + urlencode(base | {"queue_id": self.queue_id}),
            }
        return {"queues": "/agent/queues", "queue": f"/agent/queues/{self.queue_id}"}


def expected_rows(conn: Connection, agent_id: int, queue_id: int | None = None) -> tuple[str, str]:
    """The first and last ticket numbers of the queue view's first page, by the floor's statement."""
    chosen, params = floor.statement({"user_id": agent_id} | ({"queue_id": queue_id} if queue_id else {}))
    tns = [row.tn for row in conn.execute(chosen, params)]
    if not tns:
        raise RuntimeError(f"the queue view of agent {agent_id} is empty (queue {queue_id}): no page to measure")
    return tns[0], tns[-1]


def busiest_queue(conn: Connection, agent_id: int) -> int:
    """The readable queue with the most viewable tickets: the page an agent opens most."""
    readable = floor._READABLE.where(floor.queue.c.id > 100)  # the dataset's queues, not the initial data's
    viewable = conn.execute(floor._VIEWABLE).scalars().all()
    ids = conn.execute(readable, {"user_id": agent_id}).scalars().all()
    row = conn.execute(
        text(
            "SELECT queue_id FROM ticket WHERE queue_id = ANY(:q) AND ticket_state_id = ANY(:s) "
            "GROUP BY queue_id ORDER BY count(*) DESC, queue_id LIMIT 1"
        ),
        {"q": list(ids), "s": list(viewable)},
    ).first()
    if row is None:
        raise RuntimeError(f"agent {agent_id} reads no queue with viewable tickets")
    return int(row[0])


def overview_fields(conn: Connection) -> tuple[str, ...]:
    """The valid ticket fields the queue view shows as columns (``Screens: {OverviewSmall: '1'}``), in field order:
    the floor shows the same columns."""
    from modules.admin.dynamic_fields import from_yaml

    rows = conn.execute(
        text(
            "SELECT name, config FROM dynamic_field WHERE valid_id = 1 AND object_type = 'Ticket' ORDER BY field_order"
        )
    )
    return tuple(name for name, config in rows if str(from_yaml(config).get("Screens", {}).get("OverviewSmall")) == "1")


def prepare(dataset: Dataset, redis_url: str = "") -> Facts:
    from goatkit.passwords import hash_password
    from gotrs_app import create_app

    url = dataset.url.render_as_string(hide_password=False)
    secret_key, password = secrets.token_urlsafe(32), secrets.token_urlsafe(16)
    var_dir = ROOT / "var" / "bench" / "tickets-app"
    engine = create_engine(dataset.url)
    try:
        with engine.begin() as conn:
            agent_id = conn.execute(
                text("SELECT id FROM users WHERE login = :l"), {"l": dataset.typical_agent}
            ).scalar_one()
            conn.execute(
                text("UPDATE users SET pw = :pw WHERE id = :id"), {"pw": hash_password(password), "id": agent_id}
            )
            queue_id = busiest_queue(conn, agent_id)
            expected = {"queues": expected_rows(conn, agent_id), "queue": expected_rows(conn, agent_id, queue_id)}
            fields = overview_fields(conn)
    finally:
        engine.dispose()
    app = create_app(settings(url, secret_key, var_dir, redis_url))
    answer = app.test_client().post("/api/v1/auth/login", json={"login": dataset.typical_agent, "password": password})
    if answer.status_code != 200:
        raise RuntimeError(f"the benchmark could not sign in: HTTP {answer.status_code} {answer.get_data()!r}")
    return Facts(
        dataset.typical_agent, agent_id, queue_id, expected, secret_key, var_dir, answer.get_json()["access_token"],
        fields,
    )  # fmt: skip
