"""Lambda call costs, measured on a warm sandbox: one call, a page of calls, and a page whose lambdas query.

Issue 5's bars: the median cost of a single lambda call is at most 0.5 ms; a 50-row list with 3 computed fields adds
at most 10 ms p95 (the page figure is measured end to end by ``benchmarks.engine.run --only engine lambdas``; here the
sandbox part of it alone).  Figures go to docs/PERFORMANCE.md with the machine and this command::

    .venv/bin/python -m benchmarks.lambdas.calls [--samples 2000]

"single call" is ``SandboxPool.run`` of one call, round trip to the worker process included.  "V8 time per call" is
the same work inside the worker, per call, in a page of 150 (what one more computed cell costs a page).  The
db.query page runs 50 rows whose lambda reads one row each: two sandbox rounds and one read-only batch of 50
queries against a SQLite file.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from goatkit.lambdas.runtime import LambdaRuntime, Limits
from goatkit.lambdas.sandbox import Call, SandboxPool
from goatkit.lambdas.sqlguard import ReadPolicy

AGE = "return formatRelative(item.create_time);"
BADGE = "return {text: item.name, tone: item.priority >= 4 ? 'red' : 'zinc'};"
WAIT = (
    "var d = helpers.daysBetween(item.change_time); return d > 30 ? {text: d + ' days', tone: 'amber'} : d + ' days';"
)
QUERY = "var r = db.queryRow('SELECT name FROM bench_item WHERE id = ?', item.id); return r ? r.name : null;"


def row(i: int) -> dict[str, object]:
    return {"id": i, "name": f"Item {i}", "priority": i % 5 + 1, "create_time": "2026-11-01T10:00:00",
            "change_time": "2026-10-01T10:00:00"}  # fmt: skip


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def timed(run: object, count: int) -> list[float]:
    out = []
    for _ in range(count):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    pool = SandboxPool(size=1)
    one = [Call(AGE, row(1))]
    page = [Call(code, row(i)) for i in range(50) for code in (AGE, BADGE, WAIT)]
    for _ in range(50):  # warm: worker started, code compiled
        pool.run(one)
        pool.run(page)
    single = timed(lambda: pool.run(one), args.samples)
    batch = timed(lambda: pool.run(page), max(args.samples // 10, 50))
    inside = [sum(o.ms for o in pool.run(page)) / len(page) for _ in range(20)]
    print(f"single call            median {percentiles(single)[0]:6.3f} ms   p95 {percentiles(single)[1]:6.3f} ms")
    print(f"150 calls (50 rows x 3) median {percentiles(batch)[0]:6.3f} ms   p95 {percentiles(batch)[1]:6.3f} ms")
    print(f"V8 time per call in a page of 150: {statistics.median(inside):.4f} ms (millisecond clock, averaged)")
    pool.close()

    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE bench_item (id INTEGER PRIMARY KEY, name TEXT)"))
            conn.execute(text("INSERT INTO bench_item VALUES (:id, :name)"), [row(i) for i in range(50)])
        runtime = LambdaRuntime(engine, limits=Limits(workers=1), policy=ReadPolicy(readable=lambda t: True))
        calls = [Call(QUERY, row(i)) for i in range(50)]
        for _ in range(20):
            runtime.evaluate(calls)
        querying = timed(lambda: runtime.evaluate(calls), max(args.samples // 10, 50))
        median, p95 = percentiles(querying)
        print(f"50 rows with db.query   median {median:6.3f} ms   p95 {p95:6.3f} ms (2 rounds, 1 batch of 50 queries)")
        runtime.close()
        engine.dispose()


if __name__ == "__main__":
    main()
