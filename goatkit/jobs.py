"""Background jobs with progress that any worker process can report: long CSV imports, and later others.

A job is a row of ``goatkit_job`` (kind, owner, state, done, total, input payload, JSON result).  The request that
starts one returns at once; :func:`start` runs the work in a thread of that process, which reports progress through
a :class:`Progress`.  The browser polls a small fragment (htmx ``every 1s``), answered by whichever worker gets the
request, from the database.  Only the owner may read a job: :func:`get` takes the owner and answers ``None`` for
anybody else, as it does for an unknown id.

SQLite allows one writer at a time, so while a job holds a write transaction open there its progress is kept in
this process only (:meth:`Progress.step` with ``persist=False``) and reaches the table when the transaction ends;
other backends write progress in separate short transactions that every worker sees.

Example::

    job_id = create(engine, kind="csv_import", owner="agent:1", payload=text)
    start(app, job_id, work)            # work(progress) -> result dict; progress.step(done, total)
    job = get(engine, job_id, owner="agent:1")
    job.state, job.done, job.total, job.result
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import Engine, delete, insert, select, update

from goatkit.db.tables import goatkit_job

__all__ = ["Job", "Progress", "create", "get", "payload_of", "start"]

log = logging.getLogger("goatkit.jobs")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: Progress is written at most this often (seconds), however fast the work steps.
WRITE_INTERVAL = 0.5
#: Jobs (and their input) are deleted this long after their last update (seconds), when the next job is created.
PURGE_AFTER = 24 * 3600
#: A running job silent this long (seconds) lost its process (a restart): it is reported as failed.
STALE_AFTER = 15 * 60
STALE = "The job stopped because its server restarted; nothing was changed. Upload the file again."
_live: dict[str, tuple[int, int]] = {}  # job id -> (done, total) not yet written (SQLite write transactions)
_live_lock = threading.Lock()


@dataclass(frozen=True)
class Job:
    """A job as its owner sees it."""

    job_id: str
    kind: str
    owner: str
    state: str
    done: int
    total: int
    result: dict[str, Any] | None
    created_at: int
    updated_at: int

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)

    @property
    def percent(self) -> int:
        return 100 if self.finished else int(100 * self.done / self.total) if self.total else 0


def create(engine: Engine, *, kind: str, owner: str, payload: str | None = None, total: int = 0) -> str:
    """Record a queued job; return its id (random, unguessable)."""
    job_id = secrets.token_hex(16)
    now = int(time.time())
    row = {"job_id": job_id, "kind": kind, "owner": owner, "state": QUEUED, "done": 0, "total": total}
    with engine.begin() as conn:
        conn.execute(delete(goatkit_job).where(goatkit_job.c.updated_at < now - PURGE_AFTER))
        conn.execute(insert(goatkit_job).values(row | {"payload": payload, "created_at": now, "updated_at": now}))
    return job_id


def get(engine: Engine, job_id: str, *, owner: str) -> Job | None:
    """The job ``job_id`` if ``owner`` owns it, else ``None``; progress not yet written in this process included."""
    with engine.connect() as conn:
        row = conn.execute(select(goatkit_job).where(goatkit_job.c.job_id == job_id)).mappings().first()
    if row is None or row["owner"] != owner:
        return None
    state, done, total = row["state"], row["done"], row["total"]
    with _live_lock:
        live = _live.get(job_id)
    result = json.loads(row["result"]) if row["result"] else None
    if live is not None:
        done, total = live
    elif state in (QUEUED, RUNNING) and row["updated_at"] < time.time() - STALE_AFTER:
        state, result = FAILED, {"error": STALE}
    return Job(job_id, row["kind"], owner, state, done, total, result, row["created_at"], row["updated_at"])


def payload_of(engine: Engine, job_id: str, *, owner: str) -> str | None:
    """The input stored with the job (``None`` for another owner's job or an unknown id)."""
    with engine.connect() as conn:
        row = conn.execute(select(goatkit_job.c.owner, goatkit_job.c.payload).where(goatkit_job.c.job_id == job_id))
        found = row.first()
    return found.payload if found is not None and found.owner == owner else None


def _write(engine: Engine, job_id: str, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(goatkit_job).where(goatkit_job.c.job_id == job_id).values(values | {"updated_at": int(time.time())})
        )


class Progress:
    """What a running job reports: ``step(done, total)`` as often as it likes; writes are throttled."""

    def __init__(self, engine: Engine, job_id: str) -> None:
        self.engine, self.job_id = engine, job_id
        self._written = 0.0

    def step(self, done: int, total: int, *, persist: bool = True) -> None:
        with _live_lock:
            _live[self.job_id] = (done, total)
        now = time.monotonic()
        if persist and now - self._written >= WRITE_INTERVAL:
            self._written = now
            _write(self.engine, self.job_id, done=done, total=total)


Work = Callable[[Progress], dict[str, Any]]


def run(app: Flask, engine: Engine, job_id: str, work: Work) -> None:
    """Run ``work`` for the job now, in this thread, inside an app context; record its result or its failure."""
    progress = Progress(engine, job_id)
    with app.app_context():
        _write(engine, job_id, state=RUNNING)
        try:
            result = work(progress)
        except Exception:
            log.exception("job %s failed", job_id)
            message = "The job stopped on an unexpected error; nothing was changed. Try again or ask an administrator."
            _write(engine, job_id, state=FAILED, result=json.dumps({"error": message}))
        else:
            done = result.get("total", 0)
            _write(engine, job_id, state=DONE, done=done, total=done, result=json.dumps(result, default=str))
        finally:
            with _live_lock:
                _live.pop(job_id, None)


def start(app: Flask, engine: Engine, job_id: str, work: Work) -> threading.Thread:
    """Run ``work`` in a background thread of this process (see :func:`run`); return the thread."""
    thread = threading.Thread(target=run, args=(app, engine, job_id, work), name=f"job-{job_id[:8]}", daemon=True)
    thread.start()
    return thread
