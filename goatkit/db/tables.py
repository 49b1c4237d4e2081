"""The platform's own tables, kept apart from any application's schema.

The application's migrations create them (GOTRS: revision ``0002_goatkit_tables``) and its Alembic environment
compares against ``goatkit_metadata`` as well as its own metadata.

* ``goatkit_counter``: fixed-window counters for rate limits and sign-in throttling when no Redis is configured.
* ``goatkit_revoked_token``: ids of revoked tokens and ended sessions, until they would have expired anyway.
* ``goatkit_session``: sign-in sessions (one per login), listed and ended by administrators.
* ``goatkit_change``: the change history of module records (``goatkit/engine/history.py``).
* ``goatkit_job``: background jobs with progress, such as CSV imports (``goatkit/jobs.py``).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text

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

#: Ids of tables that grow without bound: BIGINT, but INTEGER on SQLite, where only that type auto-increments.
BigId = BigInteger().with_variant(Integer(), "sqlite")

goatkit_change = Table(
    "goatkit_change",
    goatkit_metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("module", String(100), nullable=False),
    Column("record_key", String(200), nullable=False),  # the primary key as text (modules may use any key)
    Column("action", String(10), nullable=False),  # create, update, delete, valid, invalid
    Column("changed_by", Integer, nullable=False),
    Column("changed_at", DateTime, nullable=False),  # UTC, naive like OTRS's own times
    Column("changes", Text, nullable=False),  # JSON {field: [old, new]}
    Index("goatkit_change_record", "module", "record_key", "id"),
)

goatkit_job = Table(
    "goatkit_job",
    goatkit_metadata,
    Column("job_id", String(32), primary_key=True),
    Column("kind", String(50), nullable=False),
    Column("owner", String(100), nullable=False),  # "realm:user id"; only the owner may read the job
    Column("state", String(20), nullable=False),  # queued, running, done, failed
    Column("done", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("payload", Text, nullable=True),  # the job's input (an uploaded CSV), kept until the job is purged
    Column("result", Text, nullable=True),  # JSON, written when the job ends
    Column("created_at", BigInteger, nullable=False),  # epoch seconds, like the other goatkit tables
    Column("updated_at", BigInteger, nullable=False),
    Index("goatkit_job_updated_at", "updated_at"),
)
