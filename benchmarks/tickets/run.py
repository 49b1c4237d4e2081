"""Ticket benchmarks at a million tickets: queue view (app vs floor), full-text search, creation through the API.

Usage:
    .venv/bin/python -m benchmarks.tickets.run [--url SERVER_URL] [--tickets 1000000] [--only queues search create]

Builds the dataset if needed (:mod:`benchmarks.tickets.dataset`), signs in as the dataset's typical agent, then:

1. queue view: the floor (:mod:`benchmarks.tickets.floor`) and the real app (``/agent/queues``, and the agent's
   busiest queue ``/agent/queues/<id>``), each under gunicorn with 1 sync worker, checked to show the same tickets;
   throughput with ``--concurrency`` clients and the server-time p95 of ``--samples`` sequential requests.  Bar:
   p95 <= 25 ms and at least half the floor's throughput of the same run.
2. search: ``GET /api/v1/tickets?text=...`` with terms rotating over :func:`benchmarks.tickets.words.search_terms`
   (common, medium and rare words, one and two words).  Bar: p95 <= 100 ms.
3. create: ``POST /api/v1/tickets`` (ticket, first article, history, search index: one transaction), a new title
   and body per request, 1 client and ``--create-clients`` clients.  Bars: a worker process serves >= 150 per
   second (the parallel clients' rate) with p95 <= 20 ms, both of single requests (sequential samples) and of the
   requests during that parallel run (``under_load_p95_ms``).

Search and create run on one gunicorn worker as ``gotrs serve`` runs the app in production (gthread, ``--threads``
threads), so clients in parallel use the worker while another request waits for PostgreSQL.

Prints a table and writes ``var/bench/tickets-<UTC timestamp>.json``; exits 1 when a bar is missed.  Figures are
never asserted in tests: they go to docs/PERFORMANCE.md with the command that produced them.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

from benchmarks.engine import load
from benchmarks.engine.run import ROOT, check_page, cpu_check_ms, default_url, gunicorn, machine, test_service
from benchmarks.engine.targets import Target
from benchmarks.tickets import measure, upkeep, words
from benchmarks.tickets.dataset import DEFAULT_DATABASE, DEFAULT_TICKETS, Dataset, ensure_dataset
from benchmarks.tickets.targets import QUEUE_SHAPES, SHAPE_TITLES, Facts, prepare
from goatkit.cli import DEFAULT_THREADS

MAX_QUEUE_P95_MS, MIN_FLOOR_SHARE = 25.0, 0.5
MAX_SEARCH_P95_MS = 100.0
MIN_CREATE_PER_SECOND, MAX_CREATE_P95_MS = 150.0, 20.0
BENCHMARKS = ("queues", "search", "create")


def _figures(rate: load.Throughput, timing: load.Latency, **extra: Any) -> dict[str, Any]:
    return {**asdict(rate), "per_second": rate.per_second, **asdict(timing), **extra}


def _print(target: str, shape: str, figures: dict[str, Any]) -> None:
    print(
        f"  {target:<6} {shape:<18} {figures['per_second']:8.1f} req/s  p50 {figures['server_p50_ms']:7.2f} ms"
        f"  p95 {figures['server_p95_ms']:7.2f} ms",
        flush=True,
    )


def measure_queues(target: Target, facts: Facts, dataset: Dataset, args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with gunicorn(target, dataset.url.render_as_string(hide_password=False)) as port:
        for shape in QUEUE_SHAPES:
            path = target.paths[shape]
            check_page(port, path, facts.expected[shape], target.headers)

            def send(_i: int, path: str = path) -> load.Response:
                return load.get(port, path, target.headers)

            load.throughput_of(send, seconds=args.warmup, concurrency=args.concurrency)
            rate = load.throughput_of(send, seconds=args.seconds, concurrency=args.concurrency)
            timing = load.latency_of(send, count=args.samples, max_seconds=args.seconds * 3)
            results[shape] = _figures(rate, timing, path=path)
            _print(target.name, shape, results[shape])
    return results


def _customers(dataset: Dataset, count: int) -> list[str]:
    engine = create_engine(dataset.url)
    try:
        with engine.connect() as conn:
            query = text("SELECT login FROM customer_user ORDER BY id LIMIT :n")
            return list(conn.execute(query, {"n": count}).scalars())
    finally:
        engine.dispose()


def _ticket_numbers(dataset: Dataset, count: int) -> list[str]:
    """``count`` ticket numbers spread over the dataset's tickets (the generated ones, ids 1 .. N)."""
    engine = create_engine(dataset.url)
    try:
        with engine.connect() as conn:
            query = text("SELECT tn FROM ticket WHERE id = ANY(:ids) ORDER BY id")
            ids = [1 + (i * 7919) % dataset.tickets for i in range(count)]
            return list(conn.execute(query, {"ids": ids}).scalars())
    finally:
        engine.dispose()


def measure_app(target: Target, facts: Facts, dataset: Dataset, args: argparse.Namespace) -> dict[str, Any]:
    """Search and creation on the app (one gunicorn for both)."""
    results: dict[str, Any] = {}
    terms = words.search_terms(max(args.samples, 200))
    queue = facts.queue_id
    customers = _customers(dataset, 200)
    stamp = datetime.now(UTC).strftime("%H%M%S")
    with gunicorn(target, dataset.url.render_as_string(hide_password=False)) as port:
        if "search" in args.only:

            def search(i: int) -> load.Response:
                return load.get(port, "/api/v1/tickets?" + urlencode({"text": terms[i % len(terms)]}), target.headers)

            load.throughput_of(search, seconds=args.warmup, concurrency=args.concurrency)
            rate = load.throughput_of(search, seconds=args.seconds, concurrency=args.concurrency)
            timing = load.latency_of(search, count=args.samples, max_seconds=args.seconds * 6)
            results["search"] = _figures(rate, timing, path="/api/v1/tickets?text=<rotating>", terms=len(terms))
            _print(target.name, "search", results["search"])
            needles = words.needle_terms(_ticket_numbers(dataset, 100), max(args.samples, 200))

            def needle(i: int) -> load.Response:
                return load.get(
                    port, "/api/v1/tickets?" + urlencode({"text": needles[i % len(needles)]}), target.headers
                )

            rate = load.throughput_of(needle, seconds=args.seconds / 2, concurrency=args.concurrency)
            timing = load.latency_of(needle, count=args.samples, max_seconds=args.seconds * 6)
            results["search_needle"] = _figures(rate, timing, path="/api/v1/tickets?text=<needle>", terms=len(needles))
            _print(target.name, "search_needle", results["search_needle"])
        if "create" in args.only:

            def create(i: int) -> load.Response:
                title = f"{terms[i % len(terms)]} {stamp}-{i}".capitalize()
                body = {
                    "title": title,
                    "queue": queue,
                    "customer_user": customers[i % len(customers)],
                    "article": {"subject": title, "body": " ".join(terms[i % 50 : i % 50 + 12]), "channel": "Phone"},
                }
                return measure.post_json(port, "/api/v1/tickets", body, target.headers)

            warm = load.throughput_of(create, seconds=args.warmup, concurrency=1)  # first requests set the worker up
            offset = warm.requests + warm.errors
            sequential = load.throughput_of(lambda i: create(offset + i), seconds=args.seconds, concurrency=1)
            offset += sequential.requests + sequential.errors
            loaded: list[float] = []  # the server's times while the clients run in parallel (context, no bar)
            concurrent = load.throughput_of(
                lambda i: create(offset + i), seconds=args.seconds, concurrency=args.create_clients, timings=loaded
            )
            offset += concurrent.requests + concurrent.errors
            timing = load.latency_of(create, count=args.samples, max_seconds=args.seconds * 3, first=offset)
            results["create"] = _figures(sequential, timing, path="POST /api/v1/tickets")
            under_load = load.percentile(loaded, 0.95) if loaded else None
            results["create_concurrent"] = _figures(
                concurrent, timing, path="POST /api/v1/tickets", under_load_p95_ms=under_load
            )
            _print(target.name, "create", results["create"])
            _print(target.name, "create_concurrent", results["create_concurrent"])
    return results


def verdicts(results: dict[str, dict[str, Any]]) -> None:
    floor, app = results.get("floor", {}), results.get("app", {})
    for shape in QUEUE_SHAPES:
        if shape in app and shape in floor:
            share = app[shape]["per_second"] / floor[shape]["per_second"] if floor[shape]["per_second"] else 0.0
            app[shape]["floor_share"] = share
            app[shape]["passes"] = share >= MIN_FLOOR_SHARE and app[shape]["server_p95_ms"] <= MAX_QUEUE_P95_MS
    for shape in ("search", "search_needle"):
        if shape in app:
            app[shape]["passes"] = app[shape]["server_p95_ms"] <= MAX_SEARCH_P95_MS
    if "create" in app:  # one client waits for each answer: its rate is 1 / latency, the latency bar applies
        app["create"]["passes"] = app["create"]["server_p95_ms"] <= MAX_CREATE_P95_MS
    if "create_concurrent" in app:  # what one worker process serves, and the p95 at that load
        f = app["create_concurrent"]
        loaded = f.get("under_load_p95_ms")
        f["passes"] = (
            f["per_second"] >= MIN_CREATE_PER_SECOND
            and f["server_p95_ms"] <= MAX_CREATE_P95_MS
            and loaded is not None
            and loaded <= MAX_CREATE_P95_MS
        )


def print_table(results: dict[str, dict[str, Any]]) -> None:
    print(f"\n{'target':<7} {'shape':<33} {'req/s':>8} {'of floor':>9} {'p50 ms':>8} {'p95 ms':>8} {'client p50':>11}")
    for name, shapes in results.items():
        for shape, f in shapes.items():
            share = f"{f['floor_share']:9.0%}" if "floor_share" in f else " " * 9
            verdict = {True: "  PASS", False: "  FAIL"}.get(f.get("passes"), "")
            print(
                f"{name:<7} {SHAPE_TITLES[shape]:<33} {f['per_second']:8.1f} {share} {f['server_p50_ms']:8.2f}"
                f" {f['server_p95_ms']:8.2f} {f['client_p50_ms']:11.2f}{verdict}"
            )
            if f.get("under_load_p95_ms") is not None:
                label = "  p95 during the parallel run"
                print(f"{'':<7} {label:<33} {'':>8} {'':>9} {'':>8} {f['under_load_p95_ms']:8.2f}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url",
        default=default_url(),
        help="PostgreSQL server URL (default: GOTRS_BENCH_PG_URL, else GOTRS_TEST_PG_URL)",
    )
    parser.add_argument("--tickets", type=int, default=DEFAULT_TICKETS)
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="database the dataset lives in")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS))
    parser.add_argument("--seconds", type=float, default=10.0, help="throughput window per shape")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up per shape, in seconds")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--samples", type=int, default=300, help="sequential requests for the p95")
    parser.add_argument(
        "--create-clients",
        type=int,
        default=2,
        help="clients of the create shape's parallel run (default 2: enough to keep one worker busy, few enough that "
        "each request still waits for little but its own work)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help="search and create: one gthread worker of this many threads, as `gotrs serve` runs the app "
        f"(default {DEFAULT_THREADS}); 0 for one sync worker",
    )
    parser.add_argument("--note", default="", help="free text stored in the JSON (e.g. 'machine busy')")
    parser.add_argument(
        "--redis",
        default=test_service("GOTRS_TEST_REDIS_URL") or "",
        help="Redis for the app, as in production; '' runs it without (default: GOTRS_TEST_REDIS_URL)",
    )
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("no PostgreSQL URL: pass --url or run scripts/bench-postgres.sh start")
    return args


def targets(facts: Facts, redis_url: str) -> tuple[Target, Target]:
    floor = Target(name="floor", app="benchmarks.tickets.floor:create_app()", paths=facts.paths("floor"))
    app = Target(
        name="app",
        app="benchmarks.tickets.app:create_app()",
        paths=facts.paths("app"),
        env={"BENCH_SECRET_KEY": facts.secret_key, "BENCH_VAR_DIR": str(facts.var_dir), "BENCH_REDIS_URL": redis_url},
        headers=facts.headers,
    )
    return floor, app


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dataset = ensure_dataset(args.url, args.tickets, args.database)
    upkeep.prewarm(dataset.url, print)
    facts = prepare(dataset, args.redis)
    print(f"agent {facts.agent} (id {facts.agent_id}); busiest readable queue {facts.queue_id}")
    print(f"app: Redis {'at ' + args.redis if args.redis else 'not used'}")
    started_cpu_check = cpu_check_ms()
    print(f"cpu check: {started_cpu_check} ms (a fixed Python loop; lower is faster)")
    floor, app = targets(facts, args.redis)
    results: dict[str, dict[str, Any]] = {}
    if "queues" in args.only:
        results["floor"] = measure_queues(floor, facts, dataset, args)
        results["app"] = measure_queues(app, facts, dataset, args)
    if {"search", "create"} & set(args.only):
        served = replace(app, threads=args.threads)  # the production worker; the queue view compares sync to sync
        results.setdefault("app", {}).update(measure_app(served, facts, dataset, args))
    verdicts(results)
    print_table(results)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "var" / "bench" / f"tickets-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k not in {"url", "redis"}} | {"redis": bool(args.redis)}
    engine_dataset = type("D", (), {"url": dataset.url})()
    document = {
        "time": stamp,
        "machine": machine(engine_dataset) | {"cpu_check_ms_at_start": started_cpu_check},  # type: ignore[arg-type]
        "dataset": {"tickets": dataset.tickets, "articles": dataset.articles, "build_seconds": dataset.build_seconds},
        "settings": settings,
        "facts": {"agent": facts.agent, "agent_id": facts.agent_id, "queue_id": facts.queue_id},
        "results": results,
    }
    out.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)}")
    failed = [name for shapes in results.values() for name, f in shapes.items() if f.get("passes") is False]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
