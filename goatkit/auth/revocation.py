"""The revocation list: token ids (``jti``) and session ids that must be refused before they expire.

Every authenticated request asks :meth:`RevocationList.any_revoked` about its token id *and* its session id, so
signing out (which revokes both) and an administrator ending a session (which revokes the session id) take effect
on the next request, for access and refresh tokens alike.  Entries live until the token or session would have
expired anyway: as Redis keys with that TTL when the platform has Redis, else as rows of ``goatkit_revoked_token``
(purged by :meth:`purge_expired`).

Example::

    revocations = revocation_list_for(current_platform())
    revocations.revoke(claims["jti"], expires_at=claims["exp"])
    revocations.any_revoked(claims["jti"], claims["sid"])   # True
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Engine, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from goatkit.db.reader import reading
from goatkit.db.tables import goatkit_revoked_token

if TYPE_CHECKING:
    import redis

    from goatkit.platform import Platform

KEY_PREFIX = "goatkit:revoked:"


class RevocationList(Protocol):
    def revoke(self, token_id: str, expires_at: int) -> None:
        """Refuse ``token_id`` (a jti or a session id) until ``expires_at`` (epoch seconds)."""

    def any_revoked(self, *token_ids: str) -> bool:
        """Whether any of ``token_ids`` is revoked (empty ids are ignored)."""

    def purge_expired(self) -> None:
        """Forget entries whose tokens have expired anyway."""


class RedisRevocationList:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def revoke(self, token_id: str, expires_at: int) -> None:
        ttl = max(int(expires_at - time.time()), 1)
        self.client.set(KEY_PREFIX + token_id, b"1", ex=ttl)

    def any_revoked(self, *token_ids: str) -> bool:
        keys = [KEY_PREFIX + token_id for token_id in token_ids if token_id]
        return bool(keys) and int(self.client.exists(*keys)) > 0

    def purge_expired(self) -> None:
        """Redis expires the keys itself."""


_ANY_REVOKED = (
    select(goatkit_revoked_token.c.token_id)
    .where(goatkit_revoked_token.c.token_id.in_(bindparam("ids", expanding=True)))
    .limit(1)
)


class DatabaseRevocationList:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def revoke(self, token_id: str, expires_at: int) -> None:
        table = goatkit_revoked_token
        with self.engine.begin() as conn:
            try:
                with conn.begin_nested():
                    conn.execute(insert(table).values(token_id=token_id, expires_at=int(expires_at)))
            except IntegrityError:  # revoked before (two sign-outs at once): keep the later expiry
                conn.execute(
                    update(table)
                    .where(table.c.token_id == token_id, table.c.expires_at < int(expires_at))
                    .values(expires_at=int(expires_at))
                )

    def any_revoked(self, *token_ids: str) -> bool:
        ids = [token_id for token_id in token_ids if token_id]
        if not ids:
            return False
        with reading(self.engine) as conn:
            return conn.execute(_ANY_REVOKED, {"ids": ids}).first() is not None

    def purge_expired(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(goatkit_revoked_token).where(goatkit_revoked_token.c.expires_at < int(time.time())))


def revocation_list_for(platform: Platform) -> RevocationList:
    """Redis when the platform has Redis, the database otherwise."""
    if platform.redis is not None:
        return RedisRevocationList(platform.redis)
    return DatabaseRevocationList(platform.engine)
