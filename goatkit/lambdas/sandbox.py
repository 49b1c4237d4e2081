"""Run admin-written JavaScript lambdas safely: a pool of worker processes, each holding a locked-down V8 context.

A lambda is a JavaScript function body (the Go GOTRS format) that sees ``item``, ``args`` and ``value`` and returns
data: a computed list column, a validator, a default.  Lambdas never run in the web process; a page sends all its
calls to one worker in one request, and gets one ``Outcome`` per call::

    pool = SandboxPool()
    pool.run([Call("return item.name.toUpperCase();", {"name": "ada"})])
    # -> [Outcome(value='ADA', ms=0.0)]

Each call has a time limit (``timeout_ms``) and a V8 heap limit (``memory_mb``), and a run has a wall-clock budget
(``budget_ms``); a worker that exceeded a limit, crashed or hung is killed and replaced, and the caller never waits
longer than the budget plus one call's time limit (and 0.1 s).  Data access is record-and-replay: ``db.query``
returns rows from ``answers``; a query with no answer yet ends the call with ``Outcome.wants``, and the caller runs
the queries and calls ``run()`` again with ``answers`` (see ``query_key``).  What the lambda environment holds and
refuses: prelude.js, check.js, helpers.js.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from goatkit.lambdas.framing import MAX_FRAME
from goatkit.lambdas.process import WorkerGone, WorkerLate, WorkerProcess
from goatkit.lambdas.workers import WorkerSet

CRASHED = "The sandbox process died while running this lambda (out of memory?)."
NOT_STARTED = "The sandbox could not start (see the server log)."
SKIPPED = {
    "timeout": "Not run: this lambda timed out on an earlier row.",
    "memory": "Not run: this lambda ran out of memory on an earlier row.",
    "crash": "Not run: this lambda crashed the sandbox on an earlier row.",
}
CHECK_WAIT_S = 30.0  # check() may have to start a worker on a busy machine
IN_FLIGHT_MS = 100  # past the budget and a call's time limit: the last call may finish, then the worker is killed
WEDGED_MS = 700  # past a call's time limit: the worker notices that V8 hangs (worker.py PROBE_MS, and margin)
MAX_BATCH = MAX_FRAME - 1024


@dataclass(frozen=True)
class Failure:
    """Why a call gave no value: ``kind`` for code, ``message`` (one sentence) for people.

    Kinds: "error" (the lambda threw), "timeout", "memory", "crash" (the worker died), "output" (the result is not
    data, is too large or is a Promise), "skipped" (not run: budget spent, or the same lambda timed out, ran out of
    memory or crashed on an earlier row), "syntax"::

        Failure("timeout", "Timed out after 50 ms.")
    """

    kind: str
    message: str


@dataclass(frozen=True)
class Call:
    """One lambda call: the function body and what it sees as ``item``, ``args`` and ``value``.

    They must be JSON data; mappings such as database rows become objects, and other values (datetime, Decimal)
    reach the lambda as their ``str()``::

    Call("return value.length <= args.max || 'Too long';", item={}, args={"max": 10}, value="hello")
    """

    code: str
    item: Mapping[str, Any]
    args: Mapping[str, Any] = field(default_factory=dict)
    value: Any = None


@dataclass(frozen=True)
class Outcome:
    """What one call gave: a JSON value, or a failure, or the queries it waits for (``wants``, then value is None).

    ``logs`` are its console lines (at most 50, each at most 500 characters); ``ms`` is its time inside V8, to the
    millisecond (V8 offers no finer clock here).  Each want is ``(sql, params)``; its answer goes into
    ``answers[query_key(sql, params)]``::

        Outcome(value={"text": "3 days ago", "color": "red"})
        Outcome(wants=(("SELECT name FROM queue WHERE id = ?", (4,)),))
    """

    value: Any = None
    failure: Failure | None = None
    logs: tuple[str, ...] = ()
    ms: float = 0.0
    wants: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    @property
    def ok(self) -> bool:
        """True when the call returned a value: no failure and no query still to answer."""
        return self.failure is None and not self.wants


@dataclass(frozen=True)
class CheckResult:
    """The static check of a lambda: ``problem`` is None when it may run, else a "syntax" failure and where it is::

    CheckResult(Failure("syntax", "line 3: 'await' is not allowed: lambdas are synchronous functions."), 3, 5)
    """

    problem: Failure | None
    line: int | None = None
    column: int | None = None


def query_key(sql: str, params: Sequence[Any]) -> str:
    """The key of a query in ``answers``: ``query_key("SELECT 1 WHERE a = ?", [4]) == '["SELECT 1 WHERE a = ?",[4]]'``.

    The sandbox compares keys after parsing them, so any JSON spelling of the same query matches.
    """
    return json.dumps([sql, list(params)], separators=(",", ":"), ensure_ascii=False, sort_keys=False, default=str)


@dataclass(frozen=True)
class _Limits:
    timeout_ms: int
    memory_mb: int
    budget_ms: int

    @property
    def slice_ms(self) -> int:
        """How long the runner works before handing back results: calls get `timeout` to `timeout + slice` ms."""
        return max(1, self.timeout_ms // 10)


class _Job:
    """The state of one ``run()``: the calls, their outcomes so far, and the lambdas not to run again."""

    def __init__(self, calls: Sequence[Call], limits: _Limits) -> None:
        self.calls = calls
        self.limits = limits
        digests = {
            code: hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()[:16]
            for code in {c.code for c in calls}
        }
        self.hashes = [digests[c.code] for c in calls]
        self.outcomes: list[Outcome | None] = [None] * len(calls)
        self.banned: dict[str, str] = {}

    def todo(self) -> list[int]:
        """The calls without an outcome, after skipping those whose lambda already failed hard."""
        for i, code_hash in enumerate(self.hashes):
            if self.outcomes[i] is None and code_hash in self.banned:
                self.outcomes[i] = Outcome(failure=Failure("skipped", SKIPPED[self.banned[code_hash]]))
        return [i for i, outcome in enumerate(self.outcomes) if outcome is None]

    def fail(self, i: int, kind: str, message: str, *, ban: bool = True) -> None:
        self.outcomes[i] = Outcome(failure=Failure(kind, message))
        if ban:
            self.banned[self.hashes[i]] = kind

    def apply(self, result: Mapping[str, Any]) -> None:
        """Record one result from the worker (fields: see prelude.js runOne)."""
        i, logs = result["i"], tuple(result.get("l", ()))
        if "v" in result:
            outcome = Outcome(value=result["v"], logs=logs, ms=float(result["ms"]))
        elif "w" in result:
            wants = tuple((str(sql), tuple(params)) for sql, params in result["w"])
            outcome = Outcome(logs=logs, ms=float(result["ms"]), wants=wants)
        elif "f" in result:
            outcome = Outcome(failure=Failure(*result["f"]), logs=logs, ms=float(result.get("ms", 0)))
        else:
            kind = result["k"]
            if kind.startswith("skip-"):
                failure = Failure("skipped", SKIPPED[kind[5:]])
            elif kind == "timeout":
                failure = Failure("timeout", f"Timed out after {self.limits.timeout_ms} ms.")
            else:
                failure = Failure("memory", f"Ran out of memory (limit {self.limits.memory_mb} MB).")
            if kind in ("timeout", "memory"):
                self.banned[self.hashes[i]] = kind
            ms = float(self.limits.timeout_ms) if kind == "timeout" else 0.0
            outcome = Outcome(failure=failure, logs=logs, ms=ms)
        self.outcomes[i] = outcome

    def batch(self, todo: list[int], answers: Mapping[str, Any]) -> tuple[list[int], bytes]:
        """The calls to send in one request (fewer if they do not fit in a frame) and the batch JSON."""
        while True:
            items: list[Mapping[str, Any]] = []
            numbers: dict[int, int] = {}  # id(item) -> its index in items: the calls of a row share one item
            rows = []
            for i in todo:
                call = self.calls[i]
                number = numbers.get(id(call.item))
                if number is None:
                    number = numbers[id(call.item)] = len(items)
                    items.append(call.item)
                rows.append([i, self.hashes[i], number, call.args, call.value])
            batch = {"items": items, "calls": rows, "answers": answers}
            data = json.dumps(batch, separators=(",", ":"), default=_plain).encode()
            if len(data) <= MAX_BATCH or len(todo) == 1:
                return todo, data
            todo = todo[: len(todo) // 2]

    def finish(self) -> list[Outcome]:
        budget = f"Not run: the lambda time budget of this page ({self.limits.budget_ms} ms) was spent."
        return [o if o is not None else Outcome(failure=Failure("skipped", budget)) for o in self.outcomes]


def _plain(value: object) -> object:
    """JSON for what json does not know: mappings (database rows) as objects, sets as arrays, the rest as text."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    return str(value)


class SandboxPool:
    """Worker processes that run lambdas; thread-safe, fork-safe, started lazily, closed at exit.

    ``timeout_ms``, ``memory_mb`` and ``budget_ms`` are the defaults of ``run()``; what a run asks for is capped by
    ``max_timeout_ms`` and ``max_memory_mb`` (and memory is at least 16 MB: the environment itself needs ~2 MB).
    ``stats`` counts requests sent to workers ("round_trips"), workers started ("spawned") and workers killed after
    a failure ("killed")::

        pool = SandboxPool(size=2, timeout_ms=50)
        pool.check("return item.a +")   # -> CheckResult(Failure("syntax", "Syntax error at line 1, ..."), 1, 16)
        outcomes = pool.run(calls, answers={query_key(sql, params): rows})
        pool.close()
    """

    def __init__(
        self,
        *,
        size: int = 2,
        timeout_ms: int = 50,
        max_timeout_ms: int = 1000,
        memory_mb: int = 32,
        max_memory_mb: int = 256,
        budget_ms: int = 1000,
    ) -> None:
        if size < 1 or min(timeout_ms, max_timeout_ms, memory_mb, max_memory_mb, budget_ms) < 1:
            raise ValueError("SandboxPool needs a size and limits of at least 1.")
        self.timeout_ms, self.max_timeout_ms = timeout_ms, max_timeout_ms
        self.memory_mb, self.max_memory_mb = memory_mb, max_memory_mb
        self.budget_ms = budget_ms
        self._workers = WorkerSet(size=size, max_memory_mb=max_memory_mb)
        self.stats = self._workers.stats

    def check(self, code: str) -> CheckResult:
        """Parse ``code`` in a worker and say whether it may run, and if not, why and where (1-based)."""
        deadline = time.monotonic() + CHECK_WAIT_S
        worker = self._workers.acquire(deadline)
        if worker is None:
            return CheckResult(Failure("timeout", "The sandbox was too busy to check this lambda."))
        try:
            worker.wait_ready(deadline)
            self._workers.count("round_trips")
            worker.send([json.dumps({"op": "check", "code": code}).encode()], deadline)
            reply = worker.receive(deadline)
        except (WorkerGone, WorkerLate):
            self._workers.retire(worker)
            return CheckResult(Failure("crash", CRASHED))
        self._give_back(worker, dirty=reply["dirty"])
        problem = reply["problem"]
        if problem is None:
            return CheckResult(None)
        return CheckResult(Failure("syntax", problem["message"]), problem.get("line"), problem.get("column"))

    def run(
        self,
        calls: Sequence[Call],
        *,
        answers: Mapping[str, Any] | None = None,
        timeout_ms: int | None = None,
        memory_mb: int | None = None,
        budget_ms: int | None = None,
    ) -> list[Outcome]:
        """Run the calls (usually in one request to one worker) and return one ``Outcome`` per call, in order."""
        limits = _Limits(
            timeout_ms=max(1, min(timeout_ms or self.timeout_ms, self.max_timeout_ms)),
            memory_mb=max(16, min(memory_mb or self.memory_mb, self.max_memory_mb)),
            budget_ms=max(1, budget_ms or self.budget_ms),
        )
        job = _Job(calls, limits)
        deadline = time.monotonic() + limits.budget_ms / 1000
        one_by_one = False  # after a crash or hang: one call per slice, to find the call that caused it
        retried = False
        while (todo := job.todo()) and time.monotonic() < deadline:
            worker = self._workers.acquire(deadline)
            if worker is None:
                break
            try:
                worker.wait_ready(deadline)
            except WorkerLate:
                self._workers.release(worker)
                break
            except WorkerGone:
                self._workers.retire(worker, replace=False)
                for i in todo:
                    job.fail(i, "crash", NOT_STARTED, ban=False)
                break
            served = worker.served
            sent, status = self._exchange(
                worker, job, todo, answers=answers or {}, one_by_one=one_by_one, deadline=deadline
            )
            unknown = [i for i in sent if job.outcomes[i] is None]
            if status == "stuck" and len(unknown) < len(sent):
                continue  # the worker named the call it hung in, or finished some: the rest go to another worker
            if status in ("gone", "stuck", "late") and unknown:
                if served and len(unknown) == len(sent) and not retried:
                    retried = True  # it failed before running anything of ours: an earlier request may be to blame
                elif one_by_one or len(unknown) == 1:
                    kind = "crash" if status == "gone" else "timeout"
                    message = CRASHED if kind == "crash" else f"Timed out after {limits.timeout_ms} ms."
                    job.fail(unknown[0], kind, message)
                    one_by_one = False
                else:
                    one_by_one = True
        return job.finish()

    def _exchange(
        self,
        worker: WorkerProcess,
        job: _Job,
        todo: list[int],
        *,
        answers: Mapping[str, Any],
        one_by_one: bool,
        deadline: float,
    ) -> tuple[list[int], str]:
        """Send one request and read its results; the calls sent and how it ended: ok, dirty, stuck, gone, late."""
        limits = job.limits
        sent, batch = job.batch(todo, answers)
        if len(batch) > MAX_BATCH:
            job.fail(sent[0], "error", f"Input too large: {len(batch)} bytes (limit {MAX_BATCH}).", ban=False)
            self._workers.release(worker)
            return [], "ok"
        now = time.monotonic()
        call_ms = limits.timeout_ms + limits.slice_ms
        header = {
            "op": "run",
            "codes": {job.hashes[i]: job.calls[i].code for i in sent},
            "timeout_ms": limits.timeout_ms,
            "memory_mb": limits.memory_mb,
            "budget_ms": max(1, int((deadline - now) * 1000)),
            "slice_ms": 0 if one_by_one else limits.slice_ms,
        }
        wait_until = min(
            deadline + (call_ms + IN_FLIGHT_MS) / 1000,  # the worker stops at the budget, but lets a call finish
            now + (len(sent) * (call_ms + WEDGED_MS) + 1000) / 1000,  # 1 s to check and compile new lambdas
        )
        self._workers.count("round_trips")
        worker.served += 1
        try:
            worker.send([json.dumps(header).encode(), batch], wait_until)
            while True:
                reply = worker.receive(wait_until)
                for result in reply["r"]:
                    job.apply(result)
                if "end" in reply:
                    break
        except WorkerGone:
            status = "gone"
        except WorkerLate:
            status = "late"
        else:
            status = "stuck" if reply["stuck"] else "dirty" if reply["dirty"] else "ok"
            culprit = reply.get("culprit")
            if status == "stuck" and culprit in sent and job.outcomes[culprit] is None:
                job.fail(culprit, "timeout", f"Timed out after {limits.timeout_ms} ms.")
        self._give_back(worker, dirty=status != "ok")
        return sent, status

    def _give_back(self, worker: WorkerProcess, *, dirty: bool) -> None:
        if dirty:
            self._workers.retire(worker)
        else:
            self._workers.release(worker)

    def close(self) -> None:
        """Stop all workers (also done at exit); the pool cannot be used afterwards."""
        self._workers.close()
