"""PostgreSQL search documents stored for reading: lz4-compressed, and short GIN pending lists.

* **lz4** (PostgreSQL 14+ built with lz4, as Debian 12's PostgreSQL 15 is): a search that walks tickets tests
  their documents one by one, and each test decompresses the document (1.8 kB on average for an article in the
  million-ticket benchmark, compressed inline).  With pglz, PostgreSQL's default, decompression was about 40% of a
  walk's CPU (``perf`` on the benchmark's walk for ``bitrox``); testing a word against 202,039 article documents
  took 444-580 ms with pglz and 299-306 ms with lz4.  The column's compression applies to documents written from
  now on; ``gotrs tickets reindex`` rewrites the stored ones.  A server without lz4 keeps pglz (nothing changes).
* **gin_pending_list_limit = 256 kB** on both ``doc`` indexes (4 MB by default): new documents wait in the index's
  pending list until it overflows or a vacuum merges them, and every search reads the whole list.  Autovacuum
  comes rarely to a large table that is mostly inserted into, so the list stays near full: after 2,044 creates the
  article index's list held 433 pages, and cleaning it took a two-word search's index scan from 16 to 11 ms and
  the ticket index's from 1.7 to 0.4 ms.  With 256 kB the create that overflows the list merges about 150
  documents; 400 creates in a row measured the same with either limit (11.1 / 11.3 ms each).

SQLite and MariaDB are unchanged.

Revision ID: 0009_search_storage
Revises: 0008_search_prefixes
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0009_search_storage"
down_revision = "0008_search_prefixes"
branch_labels = None
depends_on = None

TABLES = ("gotrs_ticket_fts", "gotrs_article_fts")
PENDING_LIST_KB = 256
HAS_LZ4 = text(
    "SELECT count(*) FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
)  # the setting (PostgreSQL 14+) lists lz4 only when the server was built with it


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if bind.execute(HAS_LZ4).scalar_one():
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN doc SET COMPRESSION lz4")
    for table in TABLES:
        op.execute(f"ALTER INDEX {table}_doc SET (gin_pending_list_limit = {PENDING_LIST_KB})")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER INDEX {table}_doc RESET (gin_pending_list_limit)")
    if bind.execute(HAS_LZ4).scalar_one():
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN doc SET COMPRESSION default")
