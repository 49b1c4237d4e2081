"""Sign-in sessions: one row in ``goatkit_session`` per login, whatever carries its tokens (cookies or bearer).

A session has an id (the ``sid`` claim of its access and refresh tokens), a realm, the user, when it began, when
it was last seen, the client's IP and user agent, and when it expires (with its refresh token).  "Last seen" is
saved at most every ``auth_session_touch_seconds`` per worker (and the ``UPDATE`` only writes when the stored value
is older), not on every request.  Ending a session marks the row and revokes its id (:mod:`.revocation`).

Example::

    store = SessionStore(engine)
    session = store.create(realm="agent", user_id=1, login="root@localhost", ip="10.0.0.5",
                           user_agent="curl/8", lifetime=7 * 86400)
    store.list_active()          # [SessionRecord(session_id=..., realm="agent", ...)]
    store.end(session.session_id)
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, insert, or_, select, update

from goatkit.db.tables import goatkit_session as _t

_TOUCH_CACHE_SIZE = 10_000
_ENDED_RETENTION = 30 * 86400  # ended and expired rows stay a month (who was signed in when), then are purged


@dataclass(frozen=True)
class SessionRecord:
    session_id: str
    realm: str
    user_id: str
    login: str
    created_at: int
    last_seen: int
    expires_at: int
    ip: str
    user_agent: str
    ended_at: int | None = None

    @property
    def active(self) -> bool:
        return self.ended_at is None and self.expires_at > time.time()

    def as_json(self) -> dict[str, Any]:
        """The JSON form the admin API returns."""
        return {
            "id": self.session_id,
            "realm": self.realm,
            "user_id": self.user_id,
            "login": self.login,
            "created_at": _iso(self.created_at),
            "last_seen": _iso(self.last_seen),
            "expires_at": _iso(self.expires_at),
            "ip": self.ip,
            "user_agent": self.user_agent,
        }


class SessionStore:
    """Create, find, touch, list and end sessions in ``goatkit_session``."""

    def __init__(self, engine: Engine, *, touch_every: int = 60) -> None:
        self.engine = engine
        self.touch_every = touch_every
        self._touched: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def create(
        self, *, realm: str, user_id: int | str, login: str, ip: str, user_agent: str, lifetime: int
    ) -> SessionRecord:
        now = int(time.time())
        record = SessionRecord(
            session_id=secrets.token_urlsafe(24),
            realm=realm,
            user_id=str(user_id),
            login=login[:200],
            created_at=now,
            last_seen=now,
            expires_at=now + lifetime,
            ip=(ip or "-")[:64],
            user_agent=(user_agent or "-")[:250],
        )
        with self.engine.begin() as conn:
            conn.execute(insert(_t).values(**record.__dict__))
        return record

    def get(self, session_id: str) -> SessionRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(_t).where(_t.c.session_id == session_id)).mappings().first()
        return SessionRecord(**row) if row else None

    def touch(self, session_id: str) -> None:
        """Save "last seen: now", unless this worker did so less than ``touch_every`` seconds ago."""
        now = int(time.time())
        with self._lock:
            last = self._touched.get(session_id)
            if last is not None and now - last < self.touch_every:
                return
            self._touched[session_id] = now
            self._touched.move_to_end(session_id)
            while len(self._touched) > _TOUCH_CACHE_SIZE:
                self._touched.popitem(last=False)
        stale = _t.c.last_seen <= now - self.touch_every
        with self.engine.begin() as conn:
            conn.execute(update(_t).where(_t.c.session_id == session_id, stale).values(last_seen=now))

    def list_active(self, realm: str | None = None) -> list[SessionRecord]:
        """Sessions neither ended nor expired, most recently seen first."""
        query = select(_t).where(_t.c.ended_at.is_(None), _t.c.expires_at > int(time.time()))
        if realm:
            query = query.where(_t.c.realm == realm)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(_t.c.last_seen.desc(), _t.c.session_id)).mappings().all()
        return [SessionRecord(**row) for row in rows]

    def end(self, session_id: str) -> SessionRecord | None:
        """Mark the session ended; return it as it was, or ``None`` when it is unknown or already over."""
        record = self.get(session_id)
        if record is None or not record.active:
            return None
        with self.engine.begin() as conn:
            conn.execute(
                update(_t)
                .where(_t.c.session_id == session_id, _t.c.ended_at.is_(None))
                .values(ended_at=int(time.time()))
            )
        return record

    def purge(self) -> None:
        """Delete sessions that ended or expired more than a month ago."""
        cutoff = int(time.time()) - _ENDED_RETENTION
        with self.engine.begin() as conn:
            conn.execute(delete(_t).where(or_(_t.c.expires_at < cutoff, _t.c.ended_at < cutoff)))


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
