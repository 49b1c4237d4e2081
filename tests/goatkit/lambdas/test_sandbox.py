"""The lambda sandbox: values, the environment, limits, record-and-replay, and the pool of worker processes."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest

from goatkit.lambdas.sandbox import Call, CheckResult, Failure, Outcome, SandboxPool, _Job, _Limits, query_key

SLOW = 5000  # a budget no test should reach: these tests are about other limits, on a busy machine


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    pool = SandboxPool(size=2)
    assert pool.check("return 1;") == CheckResult(None)  # starts a worker, so timings below are warm
    yield pool
    pool.close()


def run1(pool: SandboxPool, code: str, item: dict[str, Any] | None = None, **kwargs: Any) -> Outcome:
    call = Call(code, item or {}, kwargs.pop("args", {}), kwargs.pop("value", None))
    [outcome] = pool.run([call], budget_ms=kwargs.pop("budget_ms", SLOW), **kwargs)
    return outcome


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("return 'text';", "text"),
        ("return 1.5;", 1.5),
        ("return 42;", 42),
        ("return true;", True),
        ("return null;", None),
        ("return;", None),
        ("return undefined;", None),
        ("return NaN;", None),
        ("return [1, -Infinity];", [1, None]),
        ("return [1, 'a', null, undefined, false];", [1, "a", None, None, False]),
        ("return {a: {b: [1, {c: 'd'}]}, gone: undefined};", {"a": {"b": [1, {"c": "d"}]}}),
        ("return {text: 'VIP', color: 'amber', icon: null};", {"text": "VIP", "color": "amber", "icon": None}),
        ("return Object.create(null, {x: {value: 1, enumerable: true}});", {"x": 1}),
        ("return '\\u00e9\\ud83d\\ude00';", "é😀"),
    ],
)
def test_values_of_every_json_kind(pool: SandboxPool, code: str, expected: Any) -> None:
    outcome = run1(pool, code)
    assert outcome.failure is None
    assert outcome.value == expected
    assert outcome.ok


def test_item_args_and_value_are_visible(pool: SandboxPool) -> None:
    outcome = run1(
        pool, "return [item.name, args.max, value, typeof arguments];", {"name": "Ada"}, args={"max": 3}, value=7
    )
    assert outcome.value == ["Ada", 3, 7, "object"]


def test_rows_and_other_python_values_reach_the_lambda_as_json(pool: SandboxPool) -> None:
    row = MappingProxyType({"id": 1, "at": datetime(2026, 1, 2, 9, 30), "price": Decimal("12.50"), "tags": ("a",)})
    outcome = run1(pool, "return [item.id, formatDate(item.at), item.price, item.tags];", dict(row), args=row)
    assert outcome.value == [1, "2026-01-02 09:30", "12.50", ["a"]]
    assert run1(pool, "return args.id;", args=row).value == 1


def test_sloppy_go_gotrs_lambdas_run_unchanged(pool: SandboxPool) -> None:
    code = (
        "var days = Math.floor((Date.now() - new Date(item.create_time)) / 86400000);\n"
        "with (item) { var who = name; }\n"
        "return days === 0 ? 'today ' + who : days + ' days ago';"
    )
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3 * 86400 - 60))
    assert run1(pool, code, {"create_time": created, "name": "x"}).value == "3 days ago"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("formatDate('2026-01-02T09:30:00')", "2026-01-02 09:30"),
        ("formatDate('2026-01-02 09:30:59')", "2026-01-02 09:30"),
        ("formatDate('2026-01-02T09:30:00+02:00')", "2026-01-02 07:30"),
        ("formatDate('2026-01-02')", "2026-01-02"),
        ("formatDate(new Date(Date.UTC(2026, 0, 2, 9, 30)))", "2026-01-02 09:30"),
        ("formatDate(null)", ""),
        ("formatDate('')", ""),
        ("formatDate('next week')", "next week"),
        ("formatDate('2026-02-30')", "2026-02-30"),
        ("formatRelative(new Date(Date.now() - 3 * 86400000 - 5000))", "3 days ago"),
        ("formatRelative(new Date(Date.now() + 2 * 3600000 + 60000))", "in 2 hours"),
        ("formatRelative(new Date(Date.now() - 60000 - 500))", "1 minute ago"),
        ("formatRelative(new Date())", "just now"),
        ("formatRelative(undefined)", ""),
        ("formatRelative('never')", "never"),
        ("helpers.truncate('abcdef', 4)", "abc…"),
        ("helpers.truncate('abc', 4)", "abc"),
        ("helpers.truncate(null, 4)", ""),
        ("helpers.pad(7, 3)", "007"),
        ("helpers.pad(-5, 3)", "-05"),
        ("helpers.pad(1234, 3)", "1234"),
        ("helpers.daysBetween('2026-01-01', '2026-01-03')", 2),
        ("helpers.daysBetween('2026-01-03T12:00:00', '2026-01-01')", -2),  # whole days, toward zero
        ("helpers.daysBetween('soon', '2026-01-01')", None),
    ],
)
def test_date_and_text_helpers(pool: SandboxPool, expression: str, expected: Any) -> None:
    assert run1(pool, f"return {expression};").value == expected


def test_console_lines_are_captured_and_capped(pool: SandboxPool) -> None:
    code = "console.log('a', 1, {b: 2}, [3], null); console.warn('w'); console.error(new TypeError('t')); return 1;"
    assert run1(pool, code).logs == ('a 1 {"b":2} [3] null', "w", "TypeError: t")
    many = run1(pool, "for (var i = 0; i < 80; i++) console.info('line ' + i); console.log('x'.repeat(600));")
    assert len(many.logs) == 50
    assert many.logs[48] == "line 48"
    assert many.logs[49] == "... more console output was dropped (limit 50 lines)."
    long = run1(pool, "console.log('x'.repeat(600));").logs[0]
    assert long == "x" * 499 + "…"


def test_a_thrown_error_names_its_line(pool: SandboxPool) -> None:
    outcome = run1(pool, "var a = 1;\nreturn item.missing.x;")
    assert outcome.failure == Failure("error", "TypeError: Cannot read properties of undefined (reading 'x') (line 2)")
    assert outcome.value is None and not outcome.ok
    assert run1(pool, "\n\nthrow new Error('custom');").failure == Failure("error", "Error: custom (line 3)")
    assert run1(pool, "throw 'boom';").failure == Failure("error", "Threw boom.")


def test_syntax_errors_at_check_have_line_and_column(pool: SandboxPool) -> None:
    assert pool.check("return item.a +") == CheckResult(
        Failure("syntax", "Syntax error at line 1, column 16: Unexpected token."), 1, 16
    )
    assert pool.check("var a = 1;\nvar b = ;") == CheckResult(
        Failure("syntax", "Syntax error at line 2, column 9: Unexpected token."), 2, 9
    )
    assert pool.check("}); leak(); (function () {").problem == Failure(
        "syntax", "The code closes its function early: a lambda is a function body."
    )


@pytest.mark.parametrize(
    ("code", "message", "line"),
    [
        (
            "var x = 1;\nvar y = 2;\nreturn await x;",
            "line 3: 'await' is not allowed: lambdas are synchronous functions.",
            3,
        ),
        (
            "async function f() {}\nreturn 1;",
            "line 1: 'async' functions are not allowed: lambdas are synchronous functions.",
            1,
        ),
        ("var f = async () => 1;", "line 1: 'async' functions are not allowed: lambdas are synchronous functions.", 1),
        ("return {async m() {}};", "line 1: 'async' functions are not allowed: lambdas are synchronous functions.", 1),
        (
            "function* g() { yield 1; }",
            "line 1: generator functions are not allowed: lambdas are synchronous functions.",
            1,
        ),
        ("\nreturn import('x');", "line 2: 'import()' is not allowed: lambdas cannot load modules.", 2),
        ("return Promise.resolve(1);", "line 1: 'Promise' is not available in lambdas.", 1),
        ("setTimeout(function () {}, 1);", "line 1: 'setTimeout' is not available in lambdas.", 1),
        ("queueMicrotask(function () {});", "line 1: 'queueMicrotask' is not available in lambdas.", 1),
        ("return eval('1');", "line 1: 'eval' is not available in lambdas.", 1),
        ("return globalThis;", "line 1: 'globalThis' is not available in lambdas.", 1),
    ],
)
def test_async_code_is_refused_at_check_with_its_line(pool: SandboxPool, code: str, message: str, line: int) -> None:
    result = pool.check(code)
    assert result.problem == Failure("syntax", message)
    assert result.line == line


def test_names_that_are_only_property_keys_are_fine(pool: SandboxPool) -> None:
    assert pool.check("return {Promise: item.Promise, eval: 1}; x: for (;;) { break x; }") == CheckResult(None)


def test_run_refuses_code_that_fails_the_check(pool: SandboxPool) -> None:
    outcomes = pool.run([Call("return await 1;", {}), Call("return 2;", {})], budget_ms=SLOW)
    assert outcomes[0].failure == Failure(
        "syntax", "line 1: 'await' is not allowed: lambdas are synchronous functions."
    )
    assert outcomes[1].value == 2


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "return function () {};",
            "Output not allowed: a function at result; return strings, numbers, booleans, null, "
            "arrays or plain objects.",
        ),
        (
            "return {a: [1, Symbol('s')]};",
            "Output not allowed: a Symbol at result.a[1]; return strings, numbers, "
            "booleans, null, arrays or plain objects.",
        ),
        ("return 10n;", "Output not allowed: a BigInt at result; convert it to a number or a string."),
        ("var a = {}; a.self = a; return a;", "Output not allowed: result.self refers back to itself (a cycle)."),
        ("return {then: function () {}};", "Lambdas must be synchronous: return a value, not a Promise."),
        (
            "return {when: new Date(0)};",
            "Output not allowed: a Date object at result.when; return a string, for example formatDate(value).",
        ),
        (
            "return new Map();",
            "Output not allowed: a Map object at result; return strings, numbers, booleans, null, "
            "arrays or plain objects.",
        ),
        ("return 'x'.repeat(20000);", "Output too large: 20002 bytes (limit 16384)."),
        ("return 'é'.repeat(9000);", "Output too large: 18002 bytes (limit 16384)."),
    ],
)
def test_output_must_be_json_data(pool: SandboxPool, code: str, message: str) -> None:
    assert run1(pool, code).failure == Failure("output", message)


def test_the_output_limit_counts_utf8_bytes(pool: SandboxPool) -> None:
    assert run1(pool, "return 'é'.repeat(8000);").value == "é" * 8000  # 16002 bytes
    assert run1(pool, "return ['😀'.repeat(4095)];").value == ["😀" * 4095]  # 16384 bytes exactly
    assert run1(pool, "return ['😀'.repeat(4096)];").failure == Failure(
        "output", "Output too large: 16388 bytes (limit 16384)."
    )


def test_a_slow_row_times_out_and_the_same_lambda_is_skipped(pool: SandboxPool) -> None:
    loop_on_3 = "if (item.n === 3) { while (true) {} } return item.n;"
    calls = [Call(loop_on_3, {"n": n}) for n in range(1, 6)] + [Call("return 'other';", {})]
    killed = pool.stats["killed"]
    outcomes = pool.run(calls, budget_ms=SLOW)
    assert [o.value for o in outcomes[:2]] == [1, 2]
    assert outcomes[2].failure == Failure("timeout", "Timed out after 50 ms.")
    skipped = Failure("skipped", "Not run: this lambda timed out on an earlier row.")
    assert [o.failure for o in outcomes[3:5]] == [skipped, skipped]
    assert outcomes[5].value == "other"
    assert pool.stats["killed"] == killed + 1
    assert run1(pool, "return 'next';").value == "next"


def test_timeouts_asked_for_are_capped() -> None:
    small = SandboxPool(size=1, max_timeout_ms=100, max_memory_mb=64)
    try:
        started = time.monotonic()
        [outcome] = small.run([Call("while (true) {}", {})], timeout_ms=10_000, budget_ms=SLOW)
        assert outcome.failure == Failure("timeout", "Timed out after 100 ms.")
        assert time.monotonic() - started < 3
    finally:
        small.close()


def test_the_budget_skips_what_it_cannot_run(pool: SandboxPool) -> None:
    busy = "var t = Date.now(); while (Date.now() - t < 20) {} return item.n;"
    started = time.monotonic()
    outcomes = pool.run([Call(busy, {"n": n}) for n in range(40)], budget_ms=200)
    elapsed = time.monotonic() - started
    assert outcomes[0].value == 0
    assert outcomes[-1].failure == Failure(
        "skipped", "Not run: the lambda time budget of this page (200 ms) was spent."
    )
    assert 3 <= sum(o.ok for o in outcomes) <= 11
    assert elapsed < 0.2 + 0.05 + 0.1 + 0.3  # budget, the call in flight and its grace, a busy machine


def test_a_run_never_takes_much_longer_than_its_budget(pool: SandboxPool) -> None:
    loops = [Call(f"while (true) {{}} // {n}", {}) for n in range(10)]  # ten different lambdas, each times out
    started = time.monotonic()
    outcomes = pool.run(loops, budget_ms=300)
    assert time.monotonic() - started < 0.3 + 0.05 + 0.1 + 0.3  # as above
    assert outcomes[0].failure == Failure("timeout", "Timed out after 50 ms.")
    assert outcomes[-1].failure == Failure(
        "skipped", "Not run: the lambda time budget of this page (300 ms) was spent."
    )


def test_memory_limit(pool: SandboxPool) -> None:
    bomb = "var a = []; while (true) a.push(new Array(1e5).fill(1));"
    # V8 notices its heap limit at garbage collections: the timeout must leave the bomb the time to get there.
    outcomes = pool.run([Call(bomb, {}), Call(bomb, {}), Call("return 'fine';", {})], timeout_ms=1000, budget_ms=SLOW)
    assert outcomes[0].failure == Failure("memory", "Ran out of memory (limit 32 MB).")
    assert outcomes[1].failure == Failure("skipped", "Not run: this lambda ran out of memory on an earlier row.")
    assert outcomes[2].value == "fine"
    [big] = pool.run([Call(bomb, {})], memory_mb=64, timeout_ms=1000, budget_ms=SLOW)
    assert big.failure == Failure("memory", "Ran out of memory (limit 64 MB).")


def test_record_and_replay(pool: SandboxPool) -> None:
    code = "var row = db.queryRow('SELECT name FROM queue WHERE id = ?', item.queue_id); return row ? row.name : '-';"
    calls = [Call(code, {"queue_id": 4}), Call(code, {"queue_id": 5}), Call("return 1;", {})]
    first = pool.run(calls, budget_ms=SLOW)
    assert first[0].wants == (("SELECT name FROM queue WHERE id = ?", (4,)),)
    assert first[1].wants == (("SELECT name FROM queue WHERE id = ?", (5,)),)
    assert first[0].value is None and first[0].failure is None and not first[0].ok
    assert first[2].value == 1
    answers = {
        query_key("SELECT name FROM queue WHERE id = ?", [4]): [{"name": "Raw"}, {"name": "other"}],
        query_key("SELECT name FROM queue WHERE id = ?", [5]): [],
    }
    second = pool.run(calls[:2], answers=answers, budget_ms=SLOW)
    assert [o.value for o in second] == ["Raw", "-"]
    assert all(o.ok for o in second)


def test_db_query_returns_fresh_rows_and_matches_any_json_spelling(pool: SandboxPool) -> None:
    code = "var rows = db.query('q', 1, 'a', true, null); rows[0].n += 1; rows.push(9); return rows;"
    answers = {json.dumps(["q", [1.0, "a", True, None]]): [{"n": 1}]}  # Python spells 1 as 1.0 here
    outcomes = pool.run([Call(code, {}), Call(code, {})], answers=answers, budget_ms=SLOW)
    assert [o.value for o in outcomes] == [[{"n": 2}, 9], [{"n": 2}, 9]]


def test_wants_are_reported_even_when_the_lambda_swallows_them(pool: SandboxPool) -> None:
    code = "try { db.query('SELECT 1'); } catch (e) {} try { db.query('SELECT 2', 'x'); } catch (e) {} return 'done';"
    outcome = run1(pool, code)
    assert outcome.wants == (("SELECT 1", ()), ("SELECT 2", ("x",)))
    assert outcome.value is None and outcome.failure is None


def test_error_answers_throw_in_the_lambda(pool: SandboxPool) -> None:
    answers = {query_key("SELECT x", []): {"error": "Table 'x' is not readable by lambdas."}}
    caught = run1(pool, "try { db.query('SELECT x'); } catch (e) { return e.message; }", answers=answers)
    assert caught.value == "Table 'x' is not readable by lambdas."
    thrown = run1(pool, "\nreturn db.query('SELECT x');", answers=answers)
    assert thrown.failure == Failure("error", "Error: Table 'x' is not readable by lambdas. (line 2)")


@pytest.mark.parametrize("size", [100, 4_000, 40_000], ids=["small", "large", "loaded apart"])
def test_batches_of_every_size_reach_the_lambdas_intact(pool: SandboxPool, size: int) -> None:
    """The worker hands a batch to V8 in a script (small), as an argument (large), or in a call of its own."""
    tricky = "'\"\\\n\r\u2028\u2029\t\0`${x}</script>é😀"
    text = tricky + "y" * size + tricky
    units = len(tricky.encode("utf-16-le")) // 2  # what JavaScript counts
    code = "return [item.s.length, item.s.slice(0, args.k), item.s.slice(-args.k), item.s === value];"
    killed = pool.stats["killed"]
    outcomes = pool.run([Call(code, {"s": text}, {"k": units}, text) for _ in range(25)], budget_ms=SLOW)
    assert [o.value for o in outcomes] == [[size + 2 * units, tricky, tricky, True]] * 25
    assert pool.stats["killed"] == killed


def test_the_calls_of_a_row_share_its_item_on_the_wire_but_not_in_the_lambdas(pool: SandboxPool) -> None:
    item = {"id": 7, "name": "Ada", "tags": ["a"], "nested": {"x": 1}}
    other = {"id": 8, "name": "Bob", "tags": [], "nested": {"x": 3}}
    mutate = "item.name = 'changed'; item.tags.push('b'); item.nested.x = 2; delete item.id; return item.name;"
    read = "return [item.id, item.name, item.tags, item.nested.x];"
    calls = [Call(mutate, item), Call(read, item), Call(read, other), Call(read, item)]
    outcomes = pool.run(calls, budget_ms=SLOW)
    assert [o.value for o in outcomes] == ["changed", [7, "Ada", ["a"], 1], [8, "Bob", [], 3], [7, "Ada", ["a"], 1]]
    sent = json.loads(_Job(calls, _Limits(50, 32, SLOW)).batch([0, 1, 2, 3], {})[1])
    assert sent["items"] == [item, other]  # each distinct item once; the calls name it by index
    assert [row[2] for row in sent["calls"]] == [0, 0, 1, 0]


def test_answers_larger_than_the_pipe_arrive_intact(pool: SandboxPool) -> None:
    """A reply of 2 MB comes through the 64 KB pipe in many reads, some finding it empty for a moment."""
    code = "return 'x'.repeat(15000) + item.n;"
    for _ in range(3):
        outcomes = pool.run([Call(code, {"n": i}) for i in range(150)], budget_ms=SLOW)
        assert [o.value for o in outcomes] == ["x" * 15000 + str(i) for i in range(150)]


def test_query_key() -> None:
    assert query_key("SELECT ? , ?", ["é", 2]) == '["SELECT ? , ?",["é",2]]'
    assert query_key("q", ()) == '["q",[]]'


def test_the_pool_replaces_killed_workers_in_the_background(pool: SandboxPool) -> None:
    spawned, killed = pool.stats["spawned"], pool.stats["killed"]
    assert run1(pool, "while (true) {}").failure == Failure("timeout", "Timed out after 50 ms.")
    assert (pool.stats["spawned"], pool.stats["killed"]) == (spawned + 1, killed + 1)
    assert run1(pool, "return 'alive';").value == "alive"


def test_one_round_trip_for_a_page_of_fast_lambdas(pool: SandboxPool) -> None:
    items = [{"id": i, "name": f"row {i}", "create_time": "2026-01-02 09:30:00"} for i in range(50)]
    codes = ["return item.name.toUpperCase();", "return formatDate(item.create_time);", "return item.id % 2 === 0;"]
    calls = [Call(code, item) for item in items for code in codes]
    pool.run(calls)  # compiles the three lambdas
    before = pool.stats["round_trips"]
    outcomes = pool.run(calls)
    assert pool.stats["round_trips"] == before + 1
    assert [o.value for o in outcomes[:3]] == ["ROW 0", "2026-01-02 09:30", True]
    assert all(o.ok for o in outcomes)


def test_threads_share_the_pool(pool: SandboxPool) -> None:
    errors: list[str] = []

    def work(t: int) -> None:
        for r in range(20):
            calls = [Call("return [args.t, item.r, item.i];", {"r": r, "i": i}, {"t": t}) for i in range(5)]
            values = [o.value for o in pool.run(calls, budget_ms=SLOW)]
            if values != [[t, r, i] for i in range(5)]:
                errors.append(f"thread {t} run {r}: {values}")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert pool.stats["spawned"] <= 2 + pool.stats["killed"]


def test_a_forked_child_starts_its_own_workers(pool: SandboxPool) -> None:
    assert run1(pool, "return 'parent';").value == "parent"
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        try:
            outcome = run1(pool, "return 'child';")
            os.write(write, json.dumps([outcome.value, pool.stats["spawned"]]).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as reply:
        value, spawned_in_child = json.loads(reply.read())
    os.waitpid(child, 0)
    assert value == "child"
    assert spawned_in_child == pool.stats["spawned"] + 1  # it did not use (nor kill) the parent's workers
    assert run1(pool, "return 'parent again';").value == "parent again"


def test_close_stops_the_workers() -> None:
    small = SandboxPool(size=1)
    assert small.run([Call("return 1;", {})], budget_ms=SLOW)[0].value == 1
    small.close()
    with pytest.raises(RuntimeError, match="closed"):
        small.run([Call("return 1;", {})])
