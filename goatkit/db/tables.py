"""The platform's own tables, kept apart from any application's schema.

The application's migrations create them (GOTRS: revision ``0002_goatkit_tables``) and its Alembic environment
compares against ``goatkit_metadata`` as well as its own metadata.

* ``goatkit_counter``: fixed-window counters for rate limits and sign-in throttling when no Redis is configured.
* ``goatkit_revoked_token``: ids of revoked tokens and ended sessions, until they would have expired anyway.
* ``goatkit_session``: sign-in sessions (one per login), listed and ended by administrators.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table

goatkit_metadata = MetaData()

goatkit_counter = Table(
    "goatkit_counter",
    goatkit_metadata,
    Column("counter_key", String(200), primary_key=True),
    Column("hits", Integer, nullable=False),
    Column("window_end", BigInteger, nullable=False),  # epoch seconds; the window's hits count until then
)

goatkit_revoked_token = Table(
    "goatkit_revoked_token",
    goatkit_metadata,
    Column("token_id", String(64), primary_key=True),  # a token's jti or a session id
    Column("expires_at", BigInteger, nullable=False),  # epoch seconds; the row may be purged afterwards
    Index("goatkit_revoked_token_expires_at", "expires_at"),
)

goatkit_session = Table(
    "goatkit_session",
    goatkit_metadata,
    Column("session_id", String(64), primary_key=True),
    Column("realm", String(50), nullable=False),
    Column("user_id", String(64), nullable=False),  # the realm table's key, as text (realms may use any key)
    Column("login", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),  # epoch seconds, like the other goatkit tables
    Column("last_seen", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger, nullable=True),  # set when the user signs out or an administrator ends it
    Column("ip", String(64), nullable=False),
    Column("user_agent", String(250), nullable=False),
    Index("goatkit_session_expires_at", "expires_at"),
    Index("goatkit_session_realm_user", "realm", "user_id"),
)
