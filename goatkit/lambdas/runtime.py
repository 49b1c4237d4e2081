"""Running lambdas for a request: sandbox rounds with record-and-replay data access, in one call.

mini-racer's callbacks into Python are asynchronous, so a lambda cannot wait for ``db.query``.  Instead:

1. every call of the page runs in the sandbox; a call that asks ``db.query`` for data it does not have stops, and
   the query is recorded (``Outcome.wants``);
2. the recorded queries of *all* calls are checked (:mod:`goatkit.lambdas.sqlguard`) and run together, read-only,
   on one connection (:mod:`goatkit.lambdas.dataaccess`);
3. the calls that asked run again with the answers; a lambda whose next query depends on the previous answer takes
   another round, up to :data:`MAX_ROUNDS`.

A page of 50 rows whose lambda queries per row thus costs ``rounds`` sandbox round trips and ``rounds - 1`` query
batches, never 50 synchronous queries.

Example::

    runtime = LambdaRuntime(engine, limits=Limits(), policy=ReadPolicy(readable=lambda t: t != "users"))
    outcomes = runtime.evaluate([Call("return item.a + 1;", {"a": 1})])
    outcomes[0].value          # 2
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine

from goatkit.lambdas.dataaccess import run_readonly
from goatkit.lambdas.sandbox import Call, CheckResult, Failure, Outcome, SandboxPool, query_key
from goatkit.lambdas.sqlguard import GuardedQuery, QueryRefused, ReadPolicy, guard

log = logging.getLogger("goatkit.lambdas")
#: Sandbox rounds of one evaluation; a lambda still asking for data after them fails.
MAX_ROUNDS = 4
#: Distinct queries one evaluation may run in all (a page of 50 rows with a few queries each fits).
MAX_QUERIES = 500


@dataclass(frozen=True)
class Limits:
    """The server's limits (settings ``lambda_*``); a module's ``lambda_config`` may lower or raise them up to the
    caps."""

    workers: int = 2
    timeout_ms: int = 50
    max_timeout_ms: int = 1000
    memory_mb: int = 32
    max_memory_mb: int = 256
    budget_ms: int = 1000
    query_timeout_ms: int = 250
    query_rows: int = 100


@dataclass
class Stats:
    """What evaluations cost, for tests and the playground: sandbox round trips and query batches."""

    rounds: int = 0
    query_batches: int = 0
    queries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, rounds: int, batches: int, queries: int) -> None:
        with self.lock:
            self.rounds += rounds
            self.query_batches += batches
            self.queries += queries


class LambdaRuntime:
    """The lambdas of one application: a sandbox pool, the read policy and the limits."""

    def __init__(
        self, engine: Engine, *, limits: Limits, policy: ReadPolicy | Callable[[], ReadPolicy] | None = None
    ) -> None:
        self.engine = engine
        self.limits = limits
        self._policy = policy
        self._pool: SandboxPool | None = None
        self._lock = threading.Lock()
        self._checked: dict[str, CheckResult] = {}
        self.stats = Stats()

    @property
    def pool(self) -> SandboxPool:
        """The sandbox processes, started on first use."""
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    limits = self.limits
                    self._pool = SandboxPool(
                        size=limits.workers,
                        timeout_ms=limits.timeout_ms,
                        max_timeout_ms=limits.max_timeout_ms,
                        memory_mb=limits.memory_mb,
                        max_memory_mb=limits.max_memory_mb,
                        budget_ms=limits.budget_ms,
                    )
        return self._pool

    def policy(self) -> ReadPolicy:
        """What ``db.query`` may read (default: nothing)."""
        policy = self._policy
        if policy is None:
            return ReadPolicy(readable=lambda _table: False)
        return policy() if callable(policy) else policy

    def check(self, code: str) -> CheckResult:
        """Syntax and async check of ``code`` in the sandbox, remembered per distinct code."""
        digest = hashlib.sha256(code.encode()).hexdigest()
        hit = self._checked.get(digest)
        if hit is None:
            hit = self.pool.check(code)
            if len(self._checked) > 5000:
                self._checked.clear()
            self._checked[digest] = hit
        return hit

    def evaluate(
        self, calls: Sequence[Call], *, timeout_ms: int | None = None, memory_mb: int | None = None
    ) -> list[Outcome]:
        """Run ``calls`` to their values (see the module docstring); one :class:`Outcome` per call, in order."""
        outcomes: list[Outcome] = [Outcome() for _ in calls]
        pending = list(range(len(calls)))
        answers: dict[str, Any] = {}
        rounds = batches = queried = 0
        while pending:
            rounds += 1
            results = self.pool.run(
                [calls[i] for i in pending], answers=answers, timeout_ms=timeout_ms, memory_mb=memory_mb
            )
            wanting = []
            for index, result in zip(pending, results, strict=True):
                outcomes[index] = result  # the latest run of a call is its whole story (values and console)
                if result.wants:
                    wanting.append(index)
            if not wanting:
                break
            if rounds == MAX_ROUNDS:
                for index in wanting:
                    outcomes[index] = _failed(outcomes[index], "error", _TOO_DEEP)
                break
            wanted = {query_key(sql, params): (sql, params) for i in wanting for sql, params in outcomes[i].wants}
            new = {key: query for key, query in wanted.items() if key not in answers}
            if queried + len(new) > MAX_QUERIES:
                for index in wanting:
                    outcomes[index] = _failed(outcomes[index], "error", _TOO_MANY)
                break
            answers.update(self._answer(new))
            batches, queried = batches + 1, queried + len(new)
            pending = wanting
        self.stats.add(rounds, batches, queried)
        return outcomes

    def _answer(self, queries: Mapping[str, tuple[str, tuple[Any, ...]]]) -> dict[str, Any]:
        """Check and run the recorded queries: rows, or ``{"error": message}`` the lambda sees as a thrown Error."""
        answers: dict[str, Any] = {}
        guarded: list[tuple[str, GuardedQuery]] = []
        policy, dialect = self.policy(), self.engine.dialect.name
        for key, (sql, params) in queries.items():
            try:
                guarded.append((key, guard(sql, params, dialect=dialect, policy=policy)))
            except QueryRefused as refused:
                answers[key] = {"error": str(refused)}
        if guarded:
            limits = self.limits
            results = run_readonly(
                self.engine,
                [query for _key, query in guarded],
                statement_timeout_ms=limits.query_timeout_ms,
                row_cap=limits.query_rows,
                policy=policy,
            )
            for (key, _query), answer in zip(guarded, results, strict=True):
                answers[key] = answer.rows if answer.error is None else {"error": answer.error}
        return answers

    def close(self) -> None:
        """Stop the sandbox processes (tests, shutdown)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None


_TOO_DEEP = f"db.query still asked for more data after {MAX_ROUNDS} rounds; read what you need in fewer steps."
_TOO_MANY = f"The lambdas of this page asked for more than {MAX_QUERIES} different queries."


def _failed(outcome: Outcome, kind: str, message: str) -> Outcome:
    return replace(outcome, value=None, failure=Failure(kind, message), wants=())
