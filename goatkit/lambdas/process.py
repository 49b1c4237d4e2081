"""One sandbox worker process, seen from the web process: start it, talk to it under a deadline, kill it.

Every wait has a deadline (``time.monotonic()`` seconds): the pipes are non-blocking and polled, so a worker that
hangs, however it hangs, costs its caller at most the time left, never more.  The worker inherits no descriptors,
runs in an empty directory with a minimal environment and in its own session (a Ctrl-C for the server is not for
it), and exits when its stdin closes, so it never outlives the web process::

    worker = WorkerProcess(worker_command(256), cwd=tmp)
    worker.wait_ready(time.monotonic() + 5)
    worker.send([b'{"op": "check", "code": "return 1;"}'], deadline)
    worker.receive(deadline)   # -> {"problem": None, "dirty": False}
    worker.kill()
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from goatkit.lambdas.framing import FrameBuffer, FrameTooLarge, encode

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]  # the directory that holds the goatkit package
SPIN_S = 0.0005


class WorkerGone(Exception):
    """The worker closed its end of the pipe: it exited, crashed or was killed."""


class WorkerLate(Exception):
    """The worker did not answer before the deadline."""


def worker_command(max_memory_mb: int) -> list[str]:
    """The command line of a worker that may be asked for up to ``max_memory_mb`` of V8 heap."""
    return [sys.executable, "-m", "goatkit.lambdas.worker", "--max-memory-mb", str(max_memory_mb)]


def worker_environment() -> dict[str, str]:
    """Just enough to find Python and this package: no secrets or settings of the web process leak in."""
    return {"PATH": os.defpath, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC"}


class WorkerProcess:
    """A started worker and its pipes; used by one thread at a time (the pool hands it out)."""

    def __init__(self, command: Sequence[str], *, cwd: str) -> None:
        self.started = time.monotonic()
        self.ready = False
        self.startup_ms = 0.0
        self.served = 0  # run requests sent to it
        # What the worker says on stderr, logged if it dies; open as long as the worker lives.
        self._errors = tempfile.TemporaryFile(dir=cwd)  # noqa: SIM115
        self._proc = subprocess.Popen(  # noqa: S603 - our own command line, no shell
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            cwd=cwd,
            env=worker_environment(),
            close_fds=True,
            start_new_session=True,
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._in = self._proc.stdin.fileno()
        self._out = self._proc.stdout.fileno()
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)
        self._frames = FrameBuffer()
        self.pid = self._proc.pid
        self.owner = os.getpid()  # after a fork, a child must not use its parent's workers

    def wait_ready(self, deadline: float) -> None:
        """Wait for the worker's first frame, sent once V8 and the prelude are loaded."""
        if not self.ready:
            self.receive(deadline)
            self.ready = True
            self.startup_ms = (time.monotonic() - self.started) * 1000
            log.debug("sandbox worker %s ready in %.0f ms", self.pid, self.startup_ms)

    def send(self, payloads: Sequence[bytes], deadline: float) -> None:
        """Write frames, waiting for room in the pipe until the deadline."""
        data = memoryview(b"".join(encode(p) for p in payloads))
        while data:
            try:
                data = data[os.write(self._in, data) :]
                continue
            except BlockingIOError:
                pass
            except (BrokenPipeError, OSError) as error:
                raise WorkerGone(str(error)) from error
            self._poll(select.POLLOUT, self._in, deadline)

    def receive(self, deadline: float) -> dict[str, Any]:
        """Read the next frame as JSON, waiting until the deadline."""
        spun = False
        while True:
            try:
                frame = self._frames.pop()
            except FrameTooLarge as error:
                raise WorkerGone(str(error)) from error
            if frame is not None:
                reply: dict[str, Any] = json.loads(frame)
                return reply
            try:
                chunk = os.read(self._out, 1 << 20)
            except BlockingIOError:
                chunk = b""
                if not spun:
                    spun = True
                    chunk = self._spin()
                if not chunk:
                    self._poll(select.POLLIN, self._out, deadline)
                    continue
            except OSError as error:
                raise WorkerGone(str(error)) from error
            if not chunk:
                raise WorkerGone(self._exit_reason())
            self._frames.feed(chunk)

    def _spin(self) -> bytes:
        """Read for up to ``SPIN_S`` without sleeping: a quick answer then costs no wake-up from an idle CPU."""
        until = time.perf_counter() + SPIN_S
        while time.perf_counter() < until:
            try:
                return os.read(self._out, 1 << 20) or b""
            except BlockingIOError:
                continue
        return b""

    def _poll(self, event: int, fd: int, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise WorkerLate(f"worker {self.pid} did not answer in time")
        poller = select.poll()
        poller.register(fd, event)
        poller.poll(max(1, int(left * 1000)))

    def kill(self) -> None:
        """Stop the worker now (SIGKILL) and release its pipes."""
        if self._proc.poll() is None:
            self._proc.kill()
        try:
            self._proc.wait(timeout=2)
        except subprocess.TimeoutExpired:  # pragma: no cover - a process stuck in the kernel; reaped later
            log.warning("sandbox worker %s did not exit after SIGKILL", self.pid)
        self.abandon()

    def abandon(self) -> None:
        """Close this process's ends of the pipes, leaving the worker alone (after a fork it is the parent's)."""
        for stream in (self._proc.stdin, self._proc.stdout, self._errors):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass

    def _exit_reason(self) -> str:
        try:
            code = self._proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return f"worker {self.pid} closed its output"
        how = f"exit code {code}"
        if code < 0:
            how = f"signal {signal.Signals(-code).name}" if -code in signal.valid_signals() else f"signal {-code}"
        self._errors.seek(0, os.SEEK_END)
        self._errors.seek(max(0, self._errors.tell() - 2000))
        said = self._errors.read().decode(errors="replace").strip()
        log.warning("sandbox worker %s died (%s)%s", self.pid, how, f": ...{said[-2000:]}" if said else "")
        return f"worker {self.pid} died ({how})"
