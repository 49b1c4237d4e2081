"""What the harness measures: the apps (targets), and the three page shapes each one must serve.

A target is a WSGI app gunicorn can start plus, for each shape, the path of that page in this app.  Paths are built
from :class:`Anchors`, facts about the dataset found once with SQL before any measurement: the mid-size queue, the
row 250,000 deep (so the deep page is reached by its cursor, not by walking 5,000 pages), and the ticket numbers
each page must show first and last, which the harness checks in every app's response before it measures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

from benchmarks.engine.dataset import Dataset
from benchmarks.engine.floor import PAGE_SIZE, id_cursor

SHAPES = ("first", "filtered", "deep")
SHAPE_TITLES = {
    "first": "first page, id desc",
    "filtered": "queue filter, create_time asc",
    "deep": "deep page, id desc",
}
DEEP = 250_000


@dataclass(frozen=True)
class Anchors:
    queue_id: int
    depth: int  # rows before the deep page: 250,000, or half the table on small runs
    deep_id: int  # the last row before the deep page (id desc): the cursor points here
    deep_create_time: datetime
    expected: dict[str, tuple[str, str]]  # shape -> ticket numbers of the page's first and last rows


@dataclass(frozen=True)
class Target:
    name: str
    app: str  # gunicorn app spec, run from the repository root
    paths: dict[str, str]  # shape -> path
    env: dict[str, str] = field(default_factory=dict)  # extra environment for the gunicorn process
    headers: dict[str, str] = field(default_factory=dict)  # sent with every request (a sign-in token)
    reference_only: bool = False  # shown for context; not held to the floor's ratio
    threads: int = 0  # 0: one sync worker (one request at a time); N: one gthread worker of N threads, as `gotrs serve`


def _edges(conn: object, sql: str, params: dict[str, object]) -> tuple[str, str]:
    tns = [row[0] for row in conn.execute(text(sql), params)]  # type: ignore[attr-defined]
    return tns[0], tns[-1]


def find_anchors(dataset: Dataset) -> Anchors:
    """Facts the page paths need, found with plain OFFSET queries (slow, but outside every measurement)."""
    depth = min(DEEP, dataset.rows // 2)
    engine = create_engine(dataset.url)
    by_id = "SELECT tn FROM bench_ticket ORDER BY id DESC LIMIT :n OFFSET :o"
    by_queue = "SELECT tn FROM bench_ticket WHERE queue_id = :q ORDER BY create_time, id LIMIT :n"
    try:
        with engine.connect() as conn:
            deep = conn.execute(
                text("SELECT id, create_time FROM bench_ticket ORDER BY id DESC LIMIT 1 OFFSET :o"), {"o": depth - 1}
            ).one()
            expected = {
                "first": _edges(conn, by_id, {"n": PAGE_SIZE, "o": 0}),
                "filtered": _edges(conn, by_queue, {"n": PAGE_SIZE, "q": dataset.mid_queue_id}),
                "deep": _edges(conn, by_id, {"n": PAGE_SIZE, "o": depth}),
            }
    finally:
        engine.dispose()
    return Anchors(dataset.mid_queue_id, depth, int(deep.id), deep.create_time, expected)


def floor_target(_dataset: Dataset, anchors: Anchors) -> Target:
    return Target(
        name="floor",
        app="benchmarks.engine.floor:create_app()",
        paths={
            "first": "/tickets",
            "filtered": "/tickets?" + urlencode({"queue_id": anchors.queue_id, "sort": "create_time"}),
            "deep": "/tickets?" + urlencode({"after": id_cursor(anchors.deep_id)}),
        },
    )


def flask_admin_target(_dataset: Dataset, anchors: Anchors) -> Target:
    base = "/admin/bench_ticket/"
    return Target(
        name="flask-admin",
        app="benchmarks.engine.flask_admin_ref:create_app()",
        paths={
            "first": base,
            # flt0_0: the first (only) filter; sort=7: create_time, the 8th column of column_list.
            "filtered": base + "?" + urlencode({"flt0_0": anchors.queue_id, "sort": 7}),
            "deep": base + "?" + urlencode({"page": anchors.depth // PAGE_SIZE}),  # OFFSET: its own paging
        },
        reference_only=True,
    )


TargetFactory = Callable[[Dataset, Anchors], "Target | None"]
