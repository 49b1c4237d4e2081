"""How long the two-command setup takes: schema migration, OTRS initial data and the demo set.

Usage:
    .venv/bin/python benchmarks/bench_setup.py [--runs 3] [--url URL ...]

Without --url it measures an embedded SQLite file; pass PostgreSQL/MariaDB URLs of *server* databases (the script
creates and drops a scratch database on each).  Prints one line per backend and step: the median of the runs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from goatkit.db import backend_name, make_engine
from modules.db import MIGRATIONS
from modules.db.seed import insert_initial_data, seed_demo


@contextmanager
def scratch_database(url: str | None) -> Iterator[Engine]:
    if url is None:
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
            yield engine
            engine.dispose()
        return
    server = make_url(url)
    name = f"gotrs_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine = make_engine(server.set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name}"))
        admin.dispose()


def timed(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def run_once(url: str | None) -> dict[str, float]:
    with scratch_database(url) as engine:

        def initial() -> None:
            with engine.begin() as conn:
                insert_initial_data(conn, admin_password="bench-password-1")  # noqa: S106 - a throwaway database

        def demo() -> None:
            with engine.begin() as conn:
                seed_demo(conn)

        return {
            "migrate (123+2 tables)": timed(lambda: MIGRATIONS.upgrade(engine)),
            "initial data": timed(initial),
            "demo set (200 tickets)": timed(demo),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", action="append", default=[], help="server URL (PostgreSQL/MariaDB)")
    args = parser.parse_args()
    for url in [None, *args.url]:
        runs = [run_once(url) for _ in range(args.runs)]
        label = "sqlite" if url is None else backend_name(url)
        for step in runs[0]:
            median = statistics.median(r[step] for r in runs)
            print(f"{label:<10} {step:<26} median {median * 1000:8.0f} ms over {args.runs} runs")


if __name__ == "__main__":
    main()
