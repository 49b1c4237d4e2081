"""PostgreSQL search documents built from the search's own tokens, with each word's prefixes as lexemes.

A search's last word matches as a prefix (``lapt`` finds ``laptops``).  ``tsquery``'s ``'lapt':*`` answers that
with a partial match of GIN's word list: every posting of every word that starts with ``lapt`` is read into one
bitmap, 150 ms to a second for a common prefix among 5,000,000 articles (docs/PERFORMANCE.md).  Search engines
answer it with an index of word beginnings ("edge n-grams"); so does this revision:

* ``gotrs_search_doc(words text) RETURNS tsvector`` makes a document from the space-separated tokens
  ``modules.tickets.search_text.document`` cut: each token is a lexeme as it is (no second parser, so a document
  and a search agree on every character), at its position; and each word's beginnings of 3 to 16 characters,
  shorter than the word, are lexemes of their own marked ``^`` at the word's positions (``laptops`` at 5 gives
  ``'^lap':5 '^lapt':5 '^lapto':5 '^laptop':5``).  A prefix search is then the exact lexeme ``'lapt' | '^lapt'``:
  a posting list like any word, intersected with the others' by GIN's fast scan.  The beginnings of the first
  4,000 distinct words of a document are kept (a ``tsvector`` holds at most 1 MB of lexemes); positions past
  16,383 count as 16,383 and a lexeme keeps 256 of them, as in ``to_tsvector``.
* The documents already stored are rewritten from their lexemes in position order (``gotrs tickets reindex``
  rebuilds them from the articles instead, if the old parser split a word differently).

SQLite (FTS5 prefix queries) and MariaDB (``word*``) are unchanged.

Revision ID: 0008_search_prefixes
Revises: 0007_queue_counts
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0008_search_prefixes"
down_revision = "0007_queue_counts"
branch_labels = None
depends_on = None

FUNCTION = r"""
CREATE OR REPLACE FUNCTION gotrs_search_doc(words text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  WITH token AS (
    SELECT t.word, t.position
    FROM regexp_split_to_table(btrim(words, ' '), ' +') WITH ORDINALITY AS t(word, position)
    WHERE t.word <> '' AND octet_length(t.word) < 2048
  ), word AS (
    SELECT token.word, array_agg(token.position ORDER BY token.position) AS positions FROM token GROUP BY token.word
  ), beginning AS (
    SELECT '^' || left(w.word, n) AS word, w.positions
    FROM (SELECT word.word, word.positions FROM word ORDER BY word.positions[1] LIMIT 4000) AS w,
         generate_series(3, least(length(w.word) - 1, 16)) AS n
  ), entry AS (
    SELECT word.word, word.positions FROM word UNION ALL SELECT beginning.word, beginning.positions FROM beginning
  )
  SELECT coalesce(string_agg(
    '''' || replace(replace(entry.word, '\', '\\'), '''', '''''') || ''':'
    || array_to_string(entry.positions[1:256], ','), ' '), '')::tsvector
  FROM entry
$$
"""

REWRITE = tuple(
    "UPDATE {table} SET doc = coalesce(gotrs_search_doc((SELECT string_agg(u.lexeme, ' ' ORDER BY p)"
    " FROM unnest(doc) AS u, unnest(u.positions) AS p)), ''::tsvector)".replace("{table}", table)
    for table in ("gotrs_ticket_fts", "gotrs_article_fts")
)
"""Each document again from its words in position order (the ``to_tsvector`` lexemes of the same tokens)."""
UNDO = tuple(
    "UPDATE {table} SET doc = to_tsvector('simple'::regconfig, coalesce((SELECT string_agg(u.lexeme, ' ' ORDER BY p)"
    " FROM unnest(doc) AS u, unnest(u.positions) AS p WHERE u.lexeme NOT LIKE '^%'), ''))".replace("{table}", table)
    for table in ("gotrs_ticket_fts", "gotrs_article_fts")
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    for statement in REWRITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in UNDO:
        op.execute(statement)
    op.execute("DROP FUNCTION gotrs_search_doc(text)")
