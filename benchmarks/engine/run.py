"""List benchmark: the engine against the hand-written floor (and Flask-Admin for reference), in one command.

Usage:
    .venv/bin/python -m benchmarks.engine.run [--url SERVER_URL] [--rows 1000000] [--seconds 10] [--concurrency 4]

Builds the dataset if needed (benchmarks/engine/dataset.py), then for each target starts gunicorn (1 sync worker)
on a free loopback port, checks every page shape shows the expected rows, warms up, and measures per shape:
throughput (requests/s over --seconds with --concurrency clients, capped at --max-requests) and the p95 of the
server's own time over --samples sequential requests (the Server-Timing header; client overhead excluded).
Prints a table and writes var/bench/engine-<UTC timestamp>.json.  The URL defaults to GOTRS_BENCH_PG_URL (the
benchmarks' own cluster, ``scripts/bench-postgres.sh start``), else GOTRS_TEST_PG_URL, from the environment or the
files in var/ the scripts write.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from benchmarks.engine import load
from benchmarks.engine.dataset import DEFAULT_DATABASE, DEFAULT_ROWS, Dataset, ensure_dataset
from benchmarks.engine.engine_ref import engine_lambdas_target, engine_target
from benchmarks.engine.targets import (
    SHAPE_TITLES,
    SHAPES,
    Anchors,
    Target,
    find_anchors,
    flask_admin_target,
    floor_target,
)

ROOT = Path(__file__).resolve().parents[2]
#: The issue's bar for the engine, per shape: this share of the floor's throughput, and this server-time p95.
MIN_FLOOR_SHARE, MAX_P95_MS = 0.5, 10.0
#: Issue 5: three computed fields on a 50-row page add at most this to the engine's p95.
MAX_LAMBDA_COST_MS = 10.0


def test_service(variable: str, env_file: str = "test-services.env") -> str | None:
    """A service URL from the environment, else from a services' env file in var/ (scripts/test-services.sh)."""
    if url := os.environ.get(variable):
        return url
    path = ROOT / "var" / env_file
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, value = line.partition("=")
            if name.strip() == variable:
                return value.strip()
    return None


def default_url() -> str | None:
    """The benchmarks' own cluster (GOTRS_BENCH_PG_URL, scripts/bench-postgres.sh), else the test services'."""
    return test_service("GOTRS_BENCH_PG_URL", "bench-postgres.env") or test_service("GOTRS_TEST_PG_URL")


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(target: Target, db_url: str) -> Iterator[int]:
    """Run ``target`` under gunicorn on a free loopback port (one worker: sync, or gthread with ``target.threads``
    threads as ``gotrs serve`` runs it); stop it on exit."""
    port = free_port()
    worker = (
        ["--worker-class", "gthread", "--threads", str(target.threads)]
        if target.threads
        else ["--worker-class", "sync"]
    )
    command = [str(Path(sys.executable).with_name("gunicorn")), "--workers", "1", *worker]
    command += ["--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--log-level", "warning", target.app]
    env = {**os.environ, "BENCH_DB_URL": db_url, **target.env}
    process = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603 - our own command line, no shell
    try:
        _wait_until_listening(process, port)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not listen on port {port} within {timeout:.0f} s")


def check_page(port: int, path: str, expected: tuple[str, str], headers: load.Headers) -> None:
    """The page must answer 200 and show the expected first and last tickets: all apps serve the same rows."""
    response = load.get(port, path, headers)
    missing = [tn for tn in expected if tn.encode() not in response.body]
    if response.status != 200 or missing:
        raise RuntimeError(f"GET {path}: HTTP {response.status}; tickets missing from the page: {missing or 'none'}")


def measure(target: Target, dataset: Dataset, anchors: Anchors, args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with gunicorn(target, dataset.url.render_as_string(hide_password=False)) as port:
        for shape in SHAPES:
            path = target.paths[shape]
            headers = target.headers
            check_page(port, path, anchors.expected[shape], headers)
            load.throughput(
                port, path, seconds=args.warmup, concurrency=args.concurrency, max_requests=10_000, headers=headers
            )
            rate = load.throughput(
                port,
                path,
                seconds=args.seconds,
                concurrency=args.concurrency,
                max_requests=args.max_requests,
                headers=headers,
            )
            timing = load.latency(port, path, count=args.samples, max_seconds=args.seconds * 3, headers=headers)
            results[shape] = {"path": path, **asdict(rate), "per_second": rate.per_second, **asdict(timing)}
            print(
                f"  {target.name:<12} {shape:<9} {rate.per_second:8.1f} req/s  p95 {timing.server_p95_ms:7.2f} ms",
                flush=True,
            )
    return results


def verdicts(results: dict[str, dict[str, Any]], targets: list[Target]) -> None:
    """Mark each non-reference target's shape against the floor measured in the same run; the lambdas target
    against the engine's p95 of the same run (at most ``MAX_LAMBDA_COST_MS`` more)."""
    floor = results.get("floor")
    engine = results.get("engine")
    for target in targets:
        if target.name == "lambdas" and engine:
            for shape, figures in results["lambdas"].items():
                figures["p95_over_engine_ms"] = figures["server_p95_ms"] - engine[shape]["server_p95_ms"]
                figures["passes"] = figures["p95_over_engine_ms"] <= MAX_LAMBDA_COST_MS
            continue
        if target.name in ("floor", "lambdas") or target.reference_only or target.name not in results or not floor:
            continue
        for shape, figures in results[target.name].items():
            share = figures["per_second"] / floor[shape]["per_second"] if floor[shape]["per_second"] else 0.0
            figures["floor_share"] = share
            figures["passes"] = share >= MIN_FLOOR_SHARE and figures["server_p95_ms"] <= MAX_P95_MS


def print_table(results: dict[str, dict[str, Any]]) -> None:
    floor = results.get("floor", {})
    print(f"\n{'target':<12} {'shape':<31} {'req/s':>8} {'of floor':>9} {'p50 ms':>8} {'p95 ms':>8} {'client p50':>11}")
    for name, shapes in results.items():
        for shape, f in shapes.items():
            share = f["per_second"] / floor[shape]["per_second"] if floor.get(shape, {}).get("per_second") else 0.0
            verdict = {True: "  PASS", False: "  FAIL"}.get(f.get("passes"), "")
            print(
                f"{name:<12} {SHAPE_TITLES[shape]:<31} {f['per_second']:8.1f} {share:9.0%} {f['server_p50_ms']:8.2f}"
                f" {f['server_p95_ms']:8.2f} {f['client_p50_ms']:11.2f}{verdict}"
            )


SERVER_SETTINGS = ("shared_buffers", "work_mem", "effective_cache_size", "fsync", "synchronous_commit")
"""The PostgreSQL settings each report records (constants: ``SHOW`` takes no parameter)."""


def cpu_check_ms() -> float:
    """A fixed pure-Python loop's CPU time (best of three), so reports show how fast the (shared, virtual) machine
    ran at the time: on the 2-core development VM the same work took up to twice as long from one hour to the next."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        total = 0
        for number in range(1_000_000):
            total += number * number
        best = min(best, time.process_time() - started)
    return round(best * 1000, 1)


def machine(dataset: Dataset) -> dict[str, Any]:
    lines = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    cpu = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), "?")
    engine = create_engine(dataset.url)
    try:
        with engine.connect() as conn:
            server = conn.execute(text("SHOW server_version")).scalar()
            settings = {name: conn.execute(text(f"SHOW {name}")).scalar() for name in SERVER_SETTINGS}
    finally:
        engine.dispose()
    return {
        "cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "postgresql": server,
        "postgresql_settings": settings, "cpu_check_ms": cpu_check_ms(),
    }  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url",
        default=default_url(),
        help="PostgreSQL server URL (default: GOTRS_BENCH_PG_URL, else GOTRS_TEST_PG_URL)",
    )
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="database the dataset lives in")
    parser.add_argument("--seconds", type=float, default=10.0, help="throughput window per shape")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up per shape, in seconds")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-requests", type=int, default=50_000, help="cap per throughput window")
    parser.add_argument("--samples", type=int, default=300, help="sequential requests for the p95")
    parser.add_argument(
        "--only", nargs="+", choices=("floor", "flask-admin", "engine", "lambdas"), help="targets to run"
    )
    parser.add_argument("--note", default="", help="free text stored in the JSON (e.g. 'machine busy')")
    parser.add_argument(
        "--redis",
        default=test_service("GOTRS_TEST_REDIS_URL") or "",
        help="Redis for the engine app (token revocation), as in production; '' runs it without (default: "
        "GOTRS_TEST_REDIS_URL)",
    )
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("no PostgreSQL URL: pass --url or run scripts/bench-postgres.sh start")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dataset = ensure_dataset(args.url, args.rows, args.database)
    anchors = find_anchors(dataset)
    print(f"shapes: queue {anchors.queue_id}; deep page after {anchors.depth:,} rows (cursor at id {anchors.deep_id})")
    os.environ["BENCH_REDIS_URL"] = args.redis  # read by the engine target and its gunicorn app
    print(f"engine app: Redis {'at ' + args.redis if args.redis else 'not used'}")
    targets = []
    for factory in (floor_target, engine_target, engine_lambdas_target, flask_admin_target):
        target = factory(dataset, anchors)
        if target is None:
            print("engine: not wired yet (fill in benchmarks/engine/engine_ref.py:engine_target)")
        elif not args.only or target.name in args.only:
            targets.append(target)
    results = {target.name: measure(target, dataset, anchors, args) for target in targets}
    verdicts(results, targets)
    print_table(results)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "var" / "bench" / f"engine-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k not in {"url", "redis"}} | {"redis": bool(args.redis)}
    document = {"time": stamp, "machine": machine(dataset), "dataset": {"rows": dataset.rows}, "settings": settings}
    document |= {"anchors": {**asdict(anchors), "deep_create_time": anchors.deep_create_time.isoformat()}}
    out.write_text(json.dumps({**document, "results": results}, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)}")
    failed = [name for name, shapes in results.items() for f in shapes.values() if f.get("passes") is False]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
