"""The bounded set of sandbox worker processes behind a ``SandboxPool``.

At most ``size`` workers live at once; a caller takes an idle one (or starts one, lazily) and gives it back, or
retires it when it misbehaved: then it is killed and a replacement is started at once, so that the next caller finds
a warm worker instead of paying the start-up (~200 ms: Python, V8, acorn and the prelude).  Safe to use from several
threads, and across ``fork()``: a child process (a gunicorn worker forked from a master that used the pool) leaves
its parent's workers alone and starts its own::

    workers = WorkerSet(size=2, max_memory_mb=256)
    worker = workers.acquire(time.monotonic() + 1)   # None if none was free in time
    ...
    workers.release(worker)        # or workers.retire(worker)
    workers.close()
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import threading
import time
import weakref

from goatkit.lambdas.process import WorkerProcess, worker_command

log = logging.getLogger(__name__)
_open_sets: weakref.WeakSet[WorkerSet] = weakref.WeakSet()


class WorkerSet:
    """Worker processes for one pool: hand-out, return, replacement, shutdown."""

    def __init__(self, *, size: int, max_memory_mb: int) -> None:
        self.size = size
        self.max_memory_mb = max_memory_mb
        self.stats = {"round_trips": 0, "spawned": 0, "killed": 0}
        self._closed = False
        self._reset()
        _open_sets.add(self)

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._cond = threading.Condition()  # a fresh lock: the parent's may have been held by a thread gone here
        self._idle: list[WorkerProcess] = []
        self._live = 0
        self._directory: str | None = None

    def _check_fork(self) -> None:
        if self._pid != os.getpid():
            for worker in self._idle:
                worker.abandon()
            self._reset()

    def count(self, name: str) -> None:
        """Add one to a counter of ``stats``."""
        with self._cond:
            self.stats[name] += 1

    def acquire(self, deadline: float) -> WorkerProcess | None:
        """An idle worker (perhaps still starting), a new one if fewer than ``size`` live, or None at the deadline."""
        self._check_fork()
        with self._cond:
            while not self._idle and self._live >= self.size:
                if self._closed:
                    raise RuntimeError("The sandbox pool is closed.")
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            if self._closed:
                raise RuntimeError("The sandbox pool is closed.")
            if self._idle:
                return self._idle.pop()  # the most recently used: its caches are warm
            self._live += 1
        return self._start()

    def release(self, worker: WorkerProcess) -> None:
        """Give back a healthy worker."""
        self._check_fork()
        if worker.owner != self._pid:
            worker.abandon()
            return
        with self._cond:
            if not self._closed:
                self._idle.append(worker)
                self._cond.notify()
                return
            self._live -= 1
        worker.kill()

    def retire(self, worker: WorkerProcess, *, replace: bool = True) -> None:
        """Kill a worker that timed out, ran out of memory, crashed or hung, and start its replacement now."""
        self._check_fork()
        if worker.owner != self._pid:
            worker.abandon()
            return
        worker.kill()
        with self._cond:
            self.stats["killed"] += 1
            self._live -= 1
            replace = replace and not self._closed
            if replace:
                self._live += 1
            else:
                self._cond.notify()
        if replace:
            try:
                replacement = self._start()
            except OSError as error:  # the next acquire() tries again
                log.warning("could not start a replacement sandbox worker: %s", error)
                return
            with self._cond:
                self._idle.insert(0, replacement)  # behind the warm ones: it is still starting
                self._cond.notify()

    def _start(self) -> WorkerProcess:
        try:
            with self._cond:
                if self._directory is None:
                    self._directory = tempfile.mkdtemp(prefix="goatkit-lambdas-")
                directory = self._directory
            worker = WorkerProcess(worker_command(self.max_memory_mb), cwd=directory)
        except BaseException:
            with self._cond:
                self._live -= 1
                self._cond.notify()
            raise
        self.count("spawned")
        return worker

    def close(self) -> None:
        """Kill every idle worker; busy ones are killed when given back.  The set cannot be used afterwards."""
        self._check_fork()
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._live -= len(idle)
            directory, self._directory = self._directory, None
            self._cond.notify_all()
        for worker in idle:
            worker.kill()
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)


@atexit.register
def _close_all() -> None:
    for workers in list(_open_sets):
        workers.close()
