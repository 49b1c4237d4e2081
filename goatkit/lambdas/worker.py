"""The sandbox worker: one locked-down V8 context behind a pipe (``python -m goatkit.lambdas.worker``).

``SandboxPool`` starts it; it loads acorn, check.js, helpers.js and prelude.js into a mini-racer context, says it is
ready, and answers requests until stdin closes.  It runs only code that passed the static check, and it reports
rather than decides: the web process kills a worker that had a timeout, ran out of memory or stopped answering.

Requests and replies, one JSON frame each (framing.py):

    {"op": "check", "code": "..."}
        -> {"problem": null | {"message", "line", "column"}, "dirty": bool}
    {"op": "run", "codes": {hash: code}, "timeout_ms": 50, "memory_mb": 32, "budget_ms": 1000, "slice_ms": 5}
    then a frame holding the batch, handed to V8 as it is:
        {"items": [item, ...], "calls": [[id, hash, item index, args, value], ...],
         "answers": {query key: rows or {"error": message}}}
        (a row's item is sent once for all its calls; each call still gets a copy of its own)
        -> {"r": [result, ...], "done": false} after each slice of calls but the last (a result's fields: prelude.js
           runOne), then {"r": [result, ...], "end": true, "dirty": bool, "stuck": bool, "culprit": id or null}

A batch that finishes in its first slice (the usual case) is answered with that one last frame.  "dirty" asks to be
replaced (V8 stopped a call, or too many codes are cached); "stuck" means V8 no longer answers and the calls without
a result must be run elsewhere, except "culprit", the call V8 hangs in (if it is known).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import secrets
import signal
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, BinaryIO, Literal, cast

import py_mini_racer._mini_racer as _mini_racer_module
from py_mini_racer import JSEvalException, JSFunction, JSMappedObject, JSOOMException, init_mini_racer, mini_racer

from goatkit.lambdas.framing import FrameTooLarge, read_frame, write_frame

HERE = Path(__file__).resolve().parent
V8_FLAGS = ("--single-threaded", "--disallow-code-generation-from-strings")
BODY_HEAD = "(function (item, args, value) {\n"
BODY_TAIL = "\n})"
ENTRY = "__gk_runner"  # the runner's entry point, a global that needs the worker's token (prelude.js)
DONE = '"done":true}'  # how the runner's answer for a slice ends when no call is left
PROBE_MS = 300  # recover() after V8 stopped a slice, or the check before a large call: no answer means V8 hangs
SETUP_MS = 500  # check, compile, load of a large batch (a 64 KB lambda takes a few ms)
LOAD_APART = 1024 * 1024  # batches larger than this are parsed in their own call, outside the per-call timeout
MAX_LITERAL = 64 * 1024  # text longer than this goes to V8 as a call's argument, not in a script (Engine.call)
MAX_CODES = 1000  # compiled lambdas kept before the worker asks to be replaced

_ESCAPES = (("\\", "\\\\"), ("'", "\\'"), ("\n", "\\n"), ("\r", "\\r"))  # backslash first

Status = Literal["ok", "timeout", "memory", "error"]


class Engine:
    """The V8 context and the runner in it, reached by short scripts evaluated under a deadline.

    mini-racer runs V8 on a thread of its own and reports each result to an asyncio loop.  The worker runs that loop
    on its main thread (``main``), so a call usually costs one hop to V8's thread and back: a script such as
    ``__gk_runner("<token>", "run", '<batch as a string literal>', 5)`` evaluated with ``eval_cancelable`` (calling
    a function with arguments takes a few synchronous hops more: only for large batches, see ``call``).  The timeout
    cancels the task, and mini-racer then terminates the JavaScript that runs.  V8 may ignore termination inside a
    builtin (``new Array(1e9).fill(0)``); the loop still does not block, because it waits for V8 only through
    cancelable tasks (and takes synchronous steps only right after V8 answered), so the next call (``recover``)
    times out as well, and the worker reports V8 as stuck.
    """

    def __init__(self) -> None:
        # mini-racer evaluates a setTimeout shim whose `class __TimerManager` would sit in the script scope that
        # every lambda shares (a mutable binding prelude.js cannot freeze); the lambdas get no timers anyway.
        _mini_racer_module.INSTALL_SET_TIMEOUT = ""  # type: ignore[attr-defined]
        init_mini_racer(flags=V8_FLAGS)
        self._stack = ExitStack()  # never closed: the process ends with os._exit; dropping it would free the context
        self.js = self._stack.enter_context(mini_racer(asyncio.get_running_loop()))
        # Start-up calls are synchronous (on this loop, before any lambda ran); all later ones are cancelable.
        acorn = self.js.eval(_script("vendor/acorn.js", "var exports = {}, module = {exports: exports};\n", "exports"))
        check = self._factory("check.js")(acorn)
        token = secrets.token_hex(16)  # what lets a script call the runner: never shown to JavaScript otherwise
        api = cast(JSMappedObject, self._factory("prelude.js")(check, self._factory("helpers.js")(), token))
        self._progress = cast(memoryview, api["progress"])
        self._entry = cast(JSFunction, api["entry"]).cancelable()
        self._token = token
        self._head = f'{ENTRY}("{token}",'

    def running(self) -> int | None:
        """The id of the call inside a lambda right now (read from memory, so it works while V8 hangs)."""
        value = int.from_bytes(self._progress[0:4], sys.byteorder, signed=True)
        return value - 1 if value > 0 else None

    def _factory(self, name: str) -> JSFunction:
        fn = self.js.eval((HERE / name).read_text() + f"\n//# sourceURL={name}")
        assert isinstance(fn, JSFunction)
        return fn

    async def call(self, op: str, *args: str | float | None, timeout_ms: float) -> tuple[Status, Any]:
        """Run one of the runner's operations (prelude.js ``entry``); ("ok", value) or the way it failed.

        A large batch goes as an argument of a call rather than as a literal in a script: there it would be in V8's
        heap twice (the source and the string), and slower to parse.  A call with arguments takes synchronous steps
        on V8's thread, which would block this loop if V8 hung, so a quick script first makes sure that V8 answers.
        """
        if sum(len(arg) for arg in args if isinstance(arg, str)) <= MAX_LITERAL:
            literals = "".join(f",{_literal(arg)}" for arg in args)
            return await self._eval(f'{self._head}"{op}"{literals})', timeout_ms)
        status, _ = await self._eval("0", PROBE_MS)
        if status != "ok":
            return status, None
        return await self._wait(self._entry(self._token, op, *args), timeout_ms)

    async def register(self, code_hash: str, code: str) -> Status:
        """Compile a checked body and hand it to the runner; what V8 refuses is registered as the lambda's problem.

        The body starts on line 2 of the script, as in check.js, so that V8's line numbers are the body's plus one.
        """
        head = f'{self._head}"register",{json.dumps(code_hash)},{BODY_HEAD}'
        status, value = await self._eval(f"{head}{code}{BODY_TAIL})\n//# sourceURL=lambda-{code_hash}.js", SETUP_MS)
        if status == "error":
            problem = _syntax_problem(str(value))["message"]
            status, _ = await self.call("register", code_hash, None, problem, timeout_ms=SETUP_MS)
        return status

    async def compile(self, code: str) -> tuple[Status, dict[str, Any] | None]:
        """Compile a checked body without keeping it; what V8 refuses comes back as ("ok", problem)."""
        script = f"void {BODY_HEAD}{code}{BODY_TAIL}\n//# sourceURL=lambda-{'0' * 16}.js"
        status, value = await self._eval(script, SETUP_MS)
        if status == "error":
            return "ok", _syntax_problem(str(value))
        return status, None

    async def _eval(self, script: str, timeout_ms: float) -> tuple[Status, Any]:
        return await self._wait(self.js.eval_cancelable(script), timeout_ms)

    async def _wait(self, work: Coroutine[Any, Any, Any], timeout_ms: float) -> tuple[Status, Any]:
        try:
            async with asyncio.timeout(timeout_ms / 1000):
                return "ok", await work
        except TimeoutError:
            return "timeout", None
        except JSOOMException:
            return "memory", None
        except JSEvalException as error:
            # mini-racer reports its heap limit as a plain termination; the isolate remembers that it was hit.
            return ("memory", None) if self.js.was_hard_memory_limit_reached() else ("error", str(error))


def _literal(value: str | float | None) -> str:
    """A JavaScript literal of ``value``; for text, quicker than json.dumps (3 µs per KB of batch, this 0.1)."""
    if not isinstance(value, str):
        return json.dumps(value)
    for char, escaped in _ESCAPES:  # a line terminator or quote would end the literal, a backslash escape
        if char in value:
            value = value.replace(char, escaped)
    return f"'{value}'"


def _script(name: str, head: str, result: str) -> str:
    """A vendored file evaluated inside a function, so that it defines no globals."""
    return f"(function () {{ {head}{(HERE / name).read_text()}\nreturn {result}; }})()\n//# sourceURL={name}"


def _syntax_problem(text: str) -> dict[str, Any]:
    """What V8 says about code acorn accepted (rare: V8 lags or leads the newest syntax)."""
    found = re.search(r"lambda-\w+\.js:(\d+): SyntaxError: ([^\n]*)", text)
    if not found:
        return {"message": f"The code could not be compiled: {text.splitlines()[0] if text else 'unknown'}.", "line": 1}
    line = max(int(found[1]) - 1, 1)
    return {"message": f"Syntax error at line {line}: {found[2].rstrip('.')}.", "line": line, "column": None}


def _end(dirty: bool, stuck: bool, culprit: int | None) -> str:
    """The fields that close a run's last reply frame (after its results)."""
    flags = f'"dirty":{"true" if dirty else "false"},"stuck":{"true" if stuck else "false"}'
    return f'"end":true,{flags},"culprit":{"null" if culprit is None else int(culprit)}}}'


class Worker:
    """Answers the requests of one web process; see the module docstring for the protocol."""

    def __init__(self, send: Callable[[bytes], None]) -> None:
        self.engine = Engine()
        self.send = send
        self.known: set[str] = set()
        self.memory_mb = 0

    async def problem(self, code: str) -> tuple[Status, str | None]:
        """The static check: why ``code`` cannot be a lambda, as JSON text {"message", "line", "column"}, or None.

        (A test replaces it, to show that the process boundary holds even for code the check would refuse.)
        """
        status, found = await self.engine.call("check", code, timeout_ms=SETUP_MS)
        return status, None if found == "null" or status != "ok" else str(found)

    async def check(self, code: str) -> None:
        status, problem = await self.problem(code)
        if status == "ok" and problem is None:
            status, compiled = await self.engine.compile(code)
            if compiled is not None:
                problem = json.dumps(compiled)
        if status != "ok":
            problem = json.dumps({"message": "The sandbox could not check this lambda."})
        self.send(f'{{"problem":{problem or "null"},"dirty":{json.dumps(status != "ok")}}}'.encode())

    async def learn(self, codes: dict[str, str]) -> Status:
        """Check, compile and register the codes this worker has not seen; not "ok" if V8 misbehaved doing it."""
        for code_hash, code in codes.items():
            if code_hash in self.known:
                continue
            status, found = await self.problem(code)
            if status == "ok" and found:
                status, _ = await self.engine.call(
                    "register", code_hash, None, json.loads(found)["message"], timeout_ms=SETUP_MS
                )
            elif status == "ok":
                status = await self.engine.register(code_hash, code)
            if status != "ok":
                return status
            self.known.add(code_hash)
        return "ok"

    async def run(self, header: dict[str, Any], batch: str) -> bool:
        """Run a batch, sending each slice's results as they come; False when V8 is stuck (the worker must go)."""
        if header["memory_mb"] != self.memory_mb:
            self.memory_mb = header["memory_mb"]
            self.engine.js.set_hard_memory_limit(self.memory_mb * 1024 * 1024)
        budget_end = time.monotonic() + header["budget_ms"] / 1000
        timeout_ms, slice_ms = header["timeout_ms"], header["slice_ms"]
        status = await self.learn(header["codes"])
        dirty = len(self.known) > MAX_CODES
        text: str | None = batch
        if status == "ok" and len(batch) > LOAD_APART:
            status, _ = await self.engine.call("load", batch, timeout_ms=SETUP_MS)
            text = None
        done = status != "ok"
        while not done:
            left_ms = (budget_end - time.monotonic()) * 1000
            if left_ms <= 0:
                break
            slice_left = min(slice_ms, left_ms)
            status, out = await self.engine.call("run", text, slice_left, timeout_ms=timeout_ms + slice_ms + 2)
            text = None
            if status in ("timeout", "memory"):
                dirty = True
                # No answer to this either: V8 ignores termination (a builtin that never checks), it is stuck.
                status, out = await self.engine.call("recover", status, timeout_ms=PROBE_MS)
            if status != "ok":
                break
            out = str(out)
            if out.endswith(DONE):  # the usual case, often in the first slice: results and end in one frame
                self.send((out[: -len(DONE)] + _end(dirty, False, None)).encode())
                return True
            self.send(out.encode())
        stuck = status != "ok"
        self.send(('{"r":[],' + _end(dirty or stuck, stuck, self.engine.running() if stuck else None)).encode())
        return not stuck


def _limit_data_segment(max_memory_mb: int) -> None:
    """Backstop for allocations V8's heap limit does not stop (a huge Array.prototype.fill runs in C++).

    RLIMIT_AS cannot be used: V8 reserves a very large address space up front and aborts under any useful limit.
    RLIMIT_DATA counts memory as it is committed, so it is set from what this process uses once V8 is up, plus room
    for the largest heap a run may ask for; beyond it V8 aborts the process, which the web process sees as a crash.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:  # not Linux: no backstop
        return
    found = re.search(r"^VmData:\s+(\d+) kB", status, re.MULTILINE)
    if found:
        limit = int(found[1]) * 1024 + (2 * max_memory_mb + 256) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def main(argv: Sequence[str] | None = None) -> None:
    """Serve requests on stdin/stdout until stdin closes (the web process ended or let this worker go)."""
    parser = argparse.ArgumentParser(prog="python -m goatkit.lambdas.worker")
    parser.add_argument("--max-memory-mb", type=int, default=256)
    options = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal is for the web process, which stops us
    requests: BinaryIO = sys.stdin.buffer
    replies: BinaryIO = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print() must not corrupt the frames

    def send(payload: bytes) -> None:
        write_frame(replies, payload)

    # mini-racer's loop, on this thread: Engine and Worker calls into V8 await on it (see Engine); between requests
    # it waits in read_frame, as nothing else has to run on it then.
    asyncio.new_event_loop().run_until_complete(_serve(requests, send, options.max_memory_mb))
    # Skip the interpreter's teardown: mini-racer's can wait forever for a V8 thread that is still busy.
    os._exit(0)


async def _serve(requests: BinaryIO, send: Callable[[bytes], None], max_memory_mb: int) -> None:
    worker = Worker(send)
    _limit_data_segment(max_memory_mb)
    send(b'{"ready":true}')
    try:
        while (frame := read_frame(requests)) is not None:
            request = json.loads(frame)
            if request.get("op") == "check":
                await worker.check(request["code"])
            elif request.get("op") == "run":
                batch = read_frame(requests)
                if batch is None or not await worker.run(request, batch.decode()):
                    break
            else:
                break
    except (EOFError, FrameTooLarge, BrokenPipeError, ValueError):
        pass


if __name__ == "__main__":
    main()
