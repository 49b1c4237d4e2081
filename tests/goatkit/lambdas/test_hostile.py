"""Hostile lambdas: each is contained with the right failure, and the pool answers the next lambda correctly."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import pytest

from goatkit.lambdas import workers
from goatkit.lambdas.sandbox import Call, Failure, Outcome, SandboxPool, query_key

SLOW = 5000  # a budget no test should reach on a busy machine; the limits under test are others
TIMEOUT = Failure("timeout", "Timed out after 50 ms.")
SYNC = "lambdas are synchronous functions."
NO_CODE = "EvalError: Code generation from strings is not allowed in lambdas (line 1)"
NOT_YOURS = Failure("error", "TypeError: __gk_runner is for the sandbox worker only (line 1)")


def error(message: str) -> Failure:
    return Failure("error", message)


def syntax(message: str) -> Failure:
    return Failure("syntax", message)


def bad_param(what: str) -> Failure:
    return error(f"TypeError: db.query parameter 1 is {what}: use strings, numbers, booleans or null (line 1)")


CORPUS: list[tuple[str, str, Failure]] = [
    ("infinite loop", "while (true) {}", TIMEOUT),
    ("loop that catches", "for (;;) { try { while (true) {} } catch (e) {} finally { continue; } }", TIMEOUT),
    ("timeout is not catchable", "try { while (true) {} } catch (e) { return 'caught'; }", TIMEOUT),
    ("loop in a getter of the result", "return {get x() { while (true) {} }};", TIMEOUT),
    ("loop in a thrown proxy", "throw new Proxy({}, {get: function () { while (true) {} }});", TIMEOUT),
    (
        "loop in a Promise job",
        "Promise.resolve().then(function () { while (true) {} }); return 1;",
        syntax("line 1: 'Promise' is not available in lambdas."),
    ),
    (
        "async function",
        "async function f() {}\nreturn 1;",
        syntax(f"line 1: 'async' functions are not allowed: {SYNC}"),
    ),
    ("await", "var x = 1;\nreturn await x;", syntax(f"line 2: 'await' is not allowed: {SYNC}")),
    (
        "async arrow",
        "(async () => { while (true) {} })();",
        syntax(f"line 1: 'async' functions are not allowed: {SYNC}"),
    ),
    ("generator", "function* g() { yield 1; }", syntax(f"line 1: generator functions are not allowed: {SYNC}")),
    ("setTimeout", "setTimeout(function () {}, 0);", syntax("line 1: 'setTimeout' is not available in lambdas.")),
    ("WebAssembly", "return WebAssembly.compile;", syntax("line 1: 'WebAssembly' is not available in lambdas.")),
    ("Atomics", "return Atomics.waitAsync;", syntax("line 1: 'Atomics' is not available in lambdas.")),
    ("slow object growth", "var a = []; while (true) a.push({x: a.length});", TIMEOUT),
    ("string doubling", "var s = 'x'; while (true) s += s;", error("RangeError: Invalid string length (line 1)")),
    ("huge fill, uninterruptible builtin", "return new Array(1e9).fill(0).length;", TIMEOUT),
    ("huge array", "return new Array(2 ** 32);", error("RangeError: Invalid array length (line 1)")),
    ("huge ArrayBuffer", "return new ArrayBuffer(1e9);", error("ReferenceError: ArrayBuffer is not defined (line 1)")),
    ("typed array", "return new Uint8Array(1e9);", error("ReferenceError: Uint8Array is not defined (line 1)")),
    ("shared memory", "new SharedArrayBuffer(8);", error("ReferenceError: SharedArrayBuffer is not defined (line 1)")),
    (
        "deep recursion",
        "function f(n) { return f(n + 1) + 1; }\nreturn f(0);",
        error("RangeError: Maximum call stack size exceeded (line 1)"),
    ),
    ("huge output", "return 'x'.repeat(100000);", Failure("output", "Output too large: 100002 bytes (limit 16384).")),
    (
        "deep output",
        "var a = []; for (var i = 0; i < 40; i++) a = [a]; return a;",
        Failure("output", "Output nested too deeply (limit 32 levels)."),
    ),
    ("require", "return require('fs');", error("ReferenceError: require is not defined (line 1)")),
    ("process.exit", "process.exit(1);", error("ReferenceError: process is not defined (line 1)")),
    ("import()", "return import('x');", syntax("line 1: 'import()' is not allowed: lambdas cannot load modules.")),
    ("constructor of constructor", "return this.constructor.constructor('return process')();", error(NO_CODE)),
    ("Function", "return Function('return this')();", syntax("line 1: 'Function' is not available in lambdas.")),
    ("function constructor", "return (function () {}).constructor('return 1')();", error(NO_CODE)),
    (
        "arrow constructor via Reflect",
        "return Reflect.construct((() => 1).constructor, ['return 1'])();",
        error(NO_CODE),
    ),
    ("array constructor", "return [].constructor.constructor('return 1')();", error(NO_CODE)),
    ("eval", "return eval('1');", syntax("line 1: 'eval' is not available in lambdas.")),
    ("globalThis", "return globalThis;", syntax("line 1: 'globalThis' is not available in lambdas.")),
    (
        "strict pollution",
        "'use strict';\nObject.prototype.polluted = 1;",
        error("TypeError: Cannot add property polluted, object is not extensible (line 2)"),
    ),
    ("strict global", "'use strict';\nleak = 1;", error("ReferenceError: leak is not defined (line 2)")),
    (
        "the caller of db.query",
        "return db.query.caller;",
        error(
            "TypeError: 'caller', 'callee', and 'arguments' properties may not be accessed on strict mode functions "
            "or the arguments objects for calls to them (line 1)"
        ),
    ),
    ("runner without the token", "return __gk_runner('0'.repeat(32), 'run', '{\"calls\":[]}', 5);", NOT_YOURS),
    ("runner recover without the token", "return __gk_runner(undefined, 'recover', 'timeout');", NOT_YOURS),
    ("object param", "return db.query('SELECT 1', {id: 1});", bad_param("an object")),
    ("function param", "return db.query('SELECT 1', function () {});", bad_param("a function")),
    ("array param", "return db.query('SELECT 1', [1]);", bad_param("an array")),
    ("undefined param", "return db.query('SELECT 1', undefined);", bad_param("undefined")),
    ("NaN param", "return db.query('SELECT 1', NaN);", bad_param("NaN")),
    ("no SQL", "return db.query(42);", error("TypeError: db.query needs the SQL text as its first argument (line 1)")),
]


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    pool = SandboxPool(size=2)
    pool.check("return 1;")
    yield pool
    pool.close()


def run(pool: SandboxPool, *codes: str) -> list[Outcome]:
    return pool.run([Call(code, {"n": 1}) for code in codes], budget_ms=SLOW)


def assert_still_answers(pool: SandboxPool) -> None:
    [outcome] = run(pool, "return [item.n + 1, [1, 2].map(function (x) { return x * 2; }), JSON.parse('3')];")
    assert outcome.value == [2, [2, 4], 3]


@pytest.mark.parametrize(("code", "failure"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS])
def test_hostile_lambda_is_contained(pool: SandboxPool, code: str, failure: Failure) -> None:
    started = time.monotonic()
    hostile, neighbour = run(pool, code, "return 'neighbour';")
    assert hostile.failure == failure
    assert hostile.value is None
    assert neighbour.value == "neighbour"  # a different lambda in the same page still runs
    assert time.monotonic() - started < 3  # a hung worker is replaced: one start-up (~0.2 s) on a busy machine
    assert_still_answers(pool)


@pytest.mark.parametrize(
    "code",
    [
        "var a = []; while (true) a.push(new Array(1e5).fill(1));",
        "return new Array(1e7).fill(0).map(function (x, i) { return [i]; }).length;",
    ],
    ids=["array growth", "map to arrays"],
)
def test_memory_bombs_are_contained(pool: SandboxPool, code: str) -> None:
    # V8 notices its heap limit at garbage collections: give the bombs the time to get there.
    bomb, neighbour = pool.run([Call(code, {}), Call("return 'neighbour';", {})], timeout_ms=1000, budget_ms=SLOW)
    assert bomb.failure == Failure("memory", "Ran out of memory (limit 32 MB).")
    assert neighbour.value == "neighbour"
    assert_still_answers(pool)


@pytest.mark.parametrize(
    ("attack", "probe", "expected"),
    [
        ("Object.prototype.polluted = 1; return ({}).polluted;", "return ({}).polluted === undefined;", True),
        ("Array.prototype.map = null; return 1;", "return [1, 2].map(function (x) { return x + 1; });", [2, 3]),
        ("leak = 1; return typeof leak;", "return typeof leak;", "undefined"),
        ("JSON.parse = function () { return 'hacked'; }; return 1;", "return JSON.parse('[1]');", [1]),
        (
            "db = null; console = null; formatDate = null; helpers = 1;",
            "return [typeof db, typeof helpers];",
            ["object", "object"],
        ),
        ("db.query = null; console.log = null; helpers.pad = null;", "return helpers.pad(1, 2);", "01"),
        ("this.stash = 1; return 1;", "return typeof this.stash;", "undefined"),
        ("arguments.callee.x = 1; arguments.callee.prototype.y = 2;", "return 1;", 1),
        (
            "/(secret)/.test('secret'); return RegExp.$1;",
            "return [typeof RegExp.$1, typeof RegExp.lastMatch];",
            ["undefined", "undefined"],
        ),
        ("Object.defineProperty(Array.prototype, 'x', {value: 1});", "return [].x === undefined;", True),
        (
            "Error.prepareStackTrace = function () { return 'p'; };",
            "try { null.x; } catch (e) { return e.stack.length > 20; }",
            True,
        ),
        ("Date.now = function () { return 0; }; return 1;", "return Date.now() > 0;", True),
        (
            "__gk_runner = null; Object.defineProperty(this, '__gk_runner', {value: null});",
            "return [typeof __gk_runner, Object.isFrozen(__gk_runner)];",
            ["function", True],
        ),
        (
            "Object.getPrototypeOf([].values()).next = function () { return {done: true}; };",
            "var n = 0; for (var x of [1, 2]) n += x; return n;",
            3,
        ),
    ],
)
def test_no_lambda_changes_what_the_next_one_sees(pool: SandboxPool, attack: str, probe: str, expected: object) -> None:
    attacked, same_page = run(pool, attack, probe)
    assert attacked.failure is None or attacked.failure.kind == "error"
    assert same_page.value == expected
    [next_page] = run(pool, probe)
    assert next_page.value == expected


def test_a_lambda_keeps_no_state_between_its_calls(pool: SandboxPool) -> None:
    counter = (
        "var f = arguments.callee; f.count = (f.count || 0) + 1; f.prototype.count = 1;"
        " return [f.count, f.prototype.count, Object.isFrozen(f)];"
    )
    assert [o.value for o in run(pool, counter, counter)] == [[None, None, True]] * 2


def test_tame_overrides_still_work_on_own_objects(pool: SandboxPool) -> None:
    code = (
        "function P() {} P.prototype.toString = function () { return 'p'; };\n"
        "var o = {}; o.toString = function () { return 'o'; }; o.constructor = P;\n"
        "function E(m) { this.message = m; this.name = 'E'; } E.prototype = Object.create(Error.prototype);\n"
        "return [String(new P()), String(o), String(new E('m'))];"
    )
    assert run(pool, code)[0].value == ["p", "o", "E: m"]


def test_only_the_documented_globals_are_reachable(pool: SandboxPool) -> None:
    [names] = run(pool, "return Object.getOwnPropertyNames(this);")
    standard = [
        *("Object", "Array", "Number", "parseFloat", "parseInt", "Infinity", "NaN", "undefined", "Boolean", "String"),
        *("Symbol", "Date", "RegExp", "Error", "AggregateError", "EvalError", "RangeError", "ReferenceError"),
        *(
            "SyntaxError",
            "TypeError",
            "URIError",
            "JSON",
            "Math",
            "Intl",
            "Map",
            "BigInt",
            "Set",
            "Iterator",
            "WeakMap",
        ),
        *("WeakSet", "Proxy", "Reflect", "decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent"),
        *("escape", "unescape", "isFinite", "isNaN", "Temporal", "SuppressedError", "DisposableStack"),
    ]
    # __gk_runner is how the worker reaches the runner (prelude.js): frozen, and useless without the worker's token.
    assert names.value == [*standard, "console", "db", "formatDate", "formatRelative", "helpers", "__gk_runner"]
    [removed] = run(
        pool,
        "return [typeof WeakRef, typeof FinalizationRegistry, typeof Array.fromAsync, typeof AsyncDisposableStack,"
        " typeof __TimerManager, typeof __timer_manager, typeof clearTimeout, typeof DataView, Object.isFrozen(this)];",
    )
    assert removed.value == ["undefined"] * 8 + [True]


def test_the_runner_internals_are_out_of_reach(pool: SandboxPool) -> None:
    code = (
        "var seen = [arguments.callee.caller, typeof answers, typeof calls, typeof runOne];\n"
        "try { db.query('SELECT 1'); } catch (e) {\n"
        "  seen.push(Object.isFrozen(e), Object.getPrototypeOf(e), Object.getOwnPropertyNames(e));\n"
        "  try { e.answers = {}; } catch (_) {}\n"
        "}\n"
        "console.log(JSON.stringify(seen));\n"
        "return seen;"
    )
    [first] = run(pool, code)
    assert first.value is None and first.wants == (("SELECT 1", ()),)  # the caught sentinel still counts
    assert first.logs == ('[null,"undefined","undefined","undefined",true,null,["name","message"]]',)
    [second] = pool.run([Call(code, {})], answers={query_key("SELECT 1", []): [{"a": 1}]}, budget_ms=SLOW)
    assert second.value == [None, "undefined", "undefined", "undefined"]


def test_the_token_of_the_runner_entry_is_nowhere_to_be_read(pool: SandboxPool) -> None:
    code = (
        "var texts = [String(__gk_runner), Object.getOwnPropertyNames(__gk_runner).join(), new Error('x').stack];\n"
        "try { __gk_runner('x', 'run', null, 5); } catch (e) { texts.push(e.stack); }\n"
        "return texts.filter(function (t) { return /[0-9a-f]{32}/.test(t); });"
    )
    assert run(pool, code)[0].value == []


def unchecked_pool(monkeypatch: pytest.MonkeyPatch) -> SandboxPool:
    """A pool whose workers skip the static check: only the process and V8 stand between lambdas and harm."""
    unchecked = (
        "import goatkit.lambdas.worker as w\n"
        "async def unchecked(self, code):\n    return 'ok', None\n"
        "w.Worker.problem = unchecked\nw.main()"
    )
    monkeypatch.setattr(
        workers, "worker_command", lambda mb: [sys.executable, "-c", unchecked, "--max-memory-mb", "64"]
    )
    return SandboxPool(size=1)


def test_code_that_escapes_its_function_cannot_take_the_runner_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the check, a body can close its function and run at the top level of the script that compiles it.

    Whatever it declares there, the worker's next scripts still reach the real runner (a hijacker would get the
    token and answer garbage), because the entry is a non-configurable, non-writable property of the frozen global.
    """
    declarations = [
        "let __gk_runner = function (token) { return token; };",
        "class __gk_runner { constructor(token) { return {token}; } }",
        "function __gk_runner(token) { return token; }",
        "var __gk_runner = function (token) { return token; };",
        "Object.defineProperty(this, '__gk_runner', {value: function (token) { return token; }});",
    ]
    pool = unchecked_pool(monkeypatch)
    try:
        [control] = pool.run([Call(escape("throw new Error('at the top level');"), {})], budget_ms=SLOW)
        assert control.failure is not None and "Error: at the top level" in control.failure.message
        for declaration in declarations:
            pool.run([Call(escape(declaration), {})], budget_ms=SLOW)
            [after] = pool.run([Call("return 'still answers';", {})], budget_ms=SLOW)
            assert after.value == "still answers", declaration
        assert pool.stats["killed"] == 0
    finally:
        pool.close()


def test_the_runner_refuses_to_be_reentered_even_with_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that (for this test only) writes its token into the lambdas it compiles: the token is not enough."""
    leaky = (
        "import goatkit.lambdas.worker as w\n"
        "register = w.Engine.register\n"
        "async def leaky(self, code_hash, code):\n"
        "    return await register(self, code_hash, code.replace('TOKEN', self._head.split('\"')[1]))\n"
        "w.Engine.register = leaky\nw.main()"
    )
    monkeypatch.setattr(workers, "worker_command", lambda mb: [sys.executable, "-c", leaky, "--max-memory-mb", "64"])
    pool = SandboxPool(size=1)
    try:
        [reentered] = pool.run([Call("return __gk_runner('TOKEN', 'run', null, 5);", {})], budget_ms=SLOW)
        assert reentered.failure == error("TypeError: __gk_runner is busy (line 1)")
    finally:
        pool.close()


def escape(statement: str) -> str:
    """A body that closes the function worker.py compiles it in, runs ``statement``, and reopens one."""
    return f"return 1;\n}})); {statement} void ((function () {{"


def test_the_process_boundary_holds_when_the_static_check_is_bypassed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the check, an async lambda leaves a Promise job looping in V8 after the call returned.

    V8's own timeout cannot stop it; the next request finds the worker unresponsive, which is killed, and the
    request is answered by a fresh worker within its budget.
    """
    pool = unchecked_pool(monkeypatch)
    try:
        [escaped] = pool.run([Call("(async function () { await 0; while (true) {} })(); return 'queued';", {})])
        assert escaped.value == "queued"  # the check really was bypassed
        started = time.monotonic()
        [after] = pool.run([Call("return 'still answers';", {})], budget_ms=3000)
        assert after.value == "still answers"
        assert time.monotonic() - started < 3.5
        assert pool.stats["killed"] == 1
    finally:
        pool.close()


def test_a_lambda_that_kills_its_worker_is_found_and_the_others_are_answered() -> None:
    """A string larger than the worker's data limit (set from max_memory_mb) makes V8 abort the whole process."""
    small = SandboxPool(size=1, memory_mb=16, max_memory_mb=16)
    bomb = "return new Array(400).fill('x'.repeat(1 << 20)).join('').length;"
    calls = [Call("return 0;", {}), Call(bomb, {}), Call("return 2;", {}), Call(bomb, {}), Call("return 4;", {})]
    try:
        outcomes = small.run(calls, timeout_ms=1000, budget_ms=SLOW)
        assert [o.value for o in outcomes] == [0, None, 2, None, 4]
        assert outcomes[1].failure == Failure(
            "crash", "The sandbox process died while running this lambda (out of memory?)."
        )
        assert outcomes[3].failure == Failure("skipped", "Not run: this lambda crashed the sandbox on an earlier row.")
        assert small.run([Call("return 'alive';", {})], budget_ms=SLOW)[0].value == "alive"
    finally:
        small.close()


def test_what_a_lambda_sends_back_is_bounded(pool: SandboxPool) -> None:
    thrown, many, long_query = run(
        pool,
        "throw new Error('x'.repeat(100000));",
        "for (var i = 0; i < 1000; i++) { try { db.query('SELECT ?', i); } catch (e) {} }",
        "return db.query('x'.repeat(20000));",
    )
    assert thrown.failure is not None and thrown.failure.message == "Error: " + "x" * 992 + "…"
    assert len(many.wants) == 100
    assert long_query.failure == error(
        "TypeError: db.query: the query and its parameters are too long (20007 characters, limit 16384) (line 1)"
    )


FREEZE_AUDIT = r"""
var samples = [(function () { return arguments; })(), [].values(), ''[Symbol.iterator](), new Map().entries(),
  new Set().values(), /a/[Symbol.matchAll](''), [].values().map(function (x) { return x; }),
  Iterator.from({next: function () { return {done: true}; }}), new Intl.Segmenter().segment(''),
  new Intl.Segmenter().segment('')[Symbol.iterator](), new Intl.NumberFormat(), new Intl.DateTimeFormat(),
  new Intl.Collator(), new Intl.PluralRules(), new Intl.ListFormat(), new Intl.RelativeTimeFormat(),
  new Intl.Locale('en'), new DisposableStack(), new Date(), /x/g, new WeakMap(), new WeakSet(), Object(Symbol('s')),
  Object(1n), new AggregateError([]), new SuppressedError(1, 2), Temporal.Now.instant(), function () {}, () => 1];
var roots = [this];
samples.forEach(function (x) { roots.push(Object.getPrototypeOf(x)); });
var captured = {};
Error.captureStackTrace(captured);
[new Error('x'), new TypeError('y'), captured].forEach(function (e) {
  var d = Object.getOwnPropertyDescriptor(e, 'stack');
  if (d) roots.push(d.get, d.set);
});
var seen = new Set(), open = [], todo = roots.map(function (r, i) { return [r, 'root' + i]; });
while (todo.length) {
  var next = todo.pop(), o = next[0], path = next[1];
  if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
  seen.add(o);
  if (!Object.isFrozen(o)) open.push(path);
  todo.push([Object.getPrototypeOf(o), path + '.__proto__']);
  Reflect.ownKeys(o).forEach(function (k) {
    var d = Object.getOwnPropertyDescriptor(o, k);
    var at = path + '.' + String(k);
    todo.push([d.value, at], [d.get, at + ' (get)'], [d.set, at + ' (set)']);
  });
}
return {objects: seen.size, open: open};
"""


def test_every_object_that_lambdas_share_is_frozen(pool: SandboxPool) -> None:
    """Everything reachable from the global object and from the prototypes of what lambdas can create."""
    [audit] = pool.run([Call(FREEZE_AUDIT, {})], timeout_ms=1000, budget_ms=SLOW)
    assert audit.failure is None
    assert audit.value["open"] == []
    assert audit.value["objects"] > 800
