"""The engine side of the benchmark: the real GOTRS app serving ``modules/bench_ticket.yaml``, signed in as admin.

Before the run (nothing here is measured): the OTRS schema and initial data are added to the bench database (its
``bench_*`` tables do not clash with OTRS names), the admin gets a fresh random password, the target signs in
through the real sign-in API in-process to get a bearer token, and builds the deep page's cursor with the app's own
cursor key.  gunicorn then serves :func:`benchmarks.engine.engine_app.create_app` with the same secret key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import update

from benchmarks.engine.dataset import Dataset
from benchmarks.engine.engine_app import MODULE, settings
from benchmarks.engine.targets import Anchors, Target
from goatkit.db import make_engine
from goatkit.engine.cursor import encode_cursor, pack_value
from goatkit.engine.extension import modules
from goatkit.passwords import hash_password

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "root@localhost"


def engine_target(dataset: Dataset, anchors: Anchors) -> Target:
    """The engine over ``bench_ticket``: the target issue 4 holds to half the floor's throughput."""
    return _target(dataset, anchors, MODULE, "engine")


def engine_lambdas_target(dataset: Dataset, anchors: Anchors) -> Target:
    """The same list with three computed fields (``bench_ticket_lambdas``): issue 5 holds its p95 to at most 10 ms
    over the engine's."""
    return _target(dataset, anchors, "bench_ticket_lambdas", "lambdas")


def _target(dataset: Dataset, anchors: Anchors, module: str, name: str) -> Target:
    from gotrs_app import create_app
    from modules.db import MIGRATIONS
    from modules.db.schema import metadata
    from modules.db.seed.initial import insert_initial_data

    url = dataset.url.render_as_string(hide_password=False)
    secret_key, password = secrets.token_urlsafe(32), secrets.token_urlsafe(16)
    var_dir = ROOT / "var" / "bench" / "engine-app"
    db = make_engine(url)
    try:
        MIGRATIONS.upgrade(db)
        with db.begin() as conn:
            if not insert_initial_data(conn, admin_password=password):
                users = metadata.tables["users"]
                conn.execute(update(users).where(users.c.login == ADMIN).values(pw=hash_password(password)))
    finally:
        db.dispose()

    redis_url = os.environ.get("BENCH_REDIS_URL", "")
    app = create_app(settings(url, secret_key, var_dir, redis_url))
    answer = app.test_client().post("/api/v1/auth/login", json={"login": ADMIN, "password": password})
    if answer.status_code != 200:
        raise RuntimeError(f"the engine target could not sign in: HTTP {answer.status_code} {answer.get_data()!r}")
    token = answer.get_json()["access_token"]
    with app.app_context():
        key = modules(app).cursor_key
    deep = {"m": module, "s": "-id", "d": "n", "v": pack_value(anchors.deep_id), "k": pack_value(anchors.deep_id)}
    base = f"/admin/modules/{module}"
    return Target(
        name=name,
        app="benchmarks.engine.engine_app:create_app()",
        paths={
            "first": base,
            "filtered": base + "?" + urlencode({"filter_queue_id": anchors.queue_id, "sort": "create_time"}),
            "deep": base + "?" + urlencode({"cursor": encode_cursor(key, deep)}),
        },
        env={"BENCH_SECRET_KEY": secret_key, "BENCH_VAR_DIR": str(var_dir), "BENCH_REDIS_URL": redis_url},
        headers={"Authorization": f"Bearer {token}"},
    )
