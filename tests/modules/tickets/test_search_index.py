"""The full-text index: what it matches, that it moves with its transaction, and how it is maintained and rebuilt."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, delete, func, select, text, true, update

from modules.db import MIGRATIONS
from modules.db.schema.gotrs_search import search_tables
from modules.tickets import search
from modules.tickets.search import search_tickets
from modules.tickets.search_index import (
    BODY_CHARS,
    drop_articles,
    drop_tickets,
    follow_articles,
    index_article,
    index_articles,
    index_ticket,
    reindex_all,
)
from modules.tickets.search_query import TicketQuery
from modules.tickets.search_text import document, tsvector_literal
from tests.modules.permissions.world import RAW_QUEUE, ROOT, T, make_database
from tests.modules.tickets.search_world import SearchWorld, insert_article, insert_ticket, shared_database


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_database(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def world(engine: Engine) -> SearchWorld:
    return SearchWorld(engine)


def found(engine: Engine, words: str, **filters: object) -> list[int]:
    with engine.connect() as conn:
        page = search_tickets(conn, TicketQuery.parse({"text": words, **filters}), agent_id=ROOT)
    return sorted(hit.id for hit in page.rows)


SAMPLE_ARTICLE = {
    "subject": "Re: ERR-1234 after update",
    "body": "The paper jam happened again on floor 3.\nRegards, Zoë",
    "a_from": "John Doe <john.doe@example.com>",
    "a_to": "support@helpdesk.example.org",
    "a_cc": "Ops Team <ops@example.net>",
}


def add_sample(world: SearchWorld) -> dict[str, int]:
    """Two indexed tickets in queue Raw, the second with an article."""
    printer = world.indexed_ticket(RAW_QUEUE, title="Printer on fire")
    laptop = world.indexed_ticket(RAW_QUEUE, title="Müller's laptop won't boot")
    article = world.indexed_article(laptop, **SAMPLE_ARTICLE)
    return {"printer": printer, "laptop": laptop, "article": article}


@pytest.fixture
def sample(world: SearchWorld) -> dict[str, int]:
    return add_sample(world)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, dict]]:
    """The sample in a database shared by the read-only tests of this module."""
    with shared_database(request.param, tmp_path_factory.mktemp("index")) as engine:
        yield engine, add_sample(SearchWorld(engine))


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("printer", ["printer"]),  # title
        ("2024031510000001", ["printer"]),  # ticket number
        ("ERR-1234", ["laptop"]),  # subject, a word with punctuation is a phrase
        ("1234", ["laptop"]),
        ("jam floor", ["laptop"]),  # body
        ("john.doe@example.com", ["laptop"]),  # from, whole address
        ("john", ["laptop"]),  # from, part of the address
        ("example.com", ["laptop"]),
        ("helpdesk", ["laptop"]),  # to
        ("ops@example.net", ["laptop"]),  # cc
        ("paper printer", []),  # every word must match, in one document
        ("jam fire", []),
        ("prin", ["printer"]),  # prefix on the last word
        ("prin fire", []),  # ... only on the last one
        ("fire pri", ["printer"]),  # ... from three characters
        ("fire pr", []),
        ("lapto", ["laptop"]),  # ... on every backend's prefix index
        ("laptop", ["laptop"]),  # ... the whole word is a prefix of itself
        ("laptops", []),
        ("john.doe@exam", ["laptop"]),  # ... at the end of a phrase
        ("john.do", []),  # ... not from two characters
        ("202403151000000", ["laptop", "printer"]),  # ... the longest stored beginning of a 16-digit number
        ("PRINTER ON FIRE", ["printer"]),  # case
        ("muller", ["laptop"]),  # accents, both ways
        ("MÜLLER", ["laptop"]),
        ("zoe", ["laptop"]),
        ("Zoë", ["laptop"]),
        ('"paper jam"', ["laptop"]),  # phrases
        ('"jam paper"', []),
        ("2024031510", ["laptop", "printer"]),
        ("won't", ["laptop"]),
    ],
)
def test_what_the_index_matches(shared: tuple[Engine, dict], words: str, expected: list[str]) -> None:
    engine, sample = shared
    assert found(engine, words) == sorted(sample[name] for name in expected)


@pytest.mark.parametrize(
    "words",
    ['"', "*", "AND", "NEAR(", "'; DROP", "-", ":", '"unbalanced', "a:b", "foo & !bar | (baz", "\\", "%_",
     "NOT printer", "printer OR laptop", "title:printer", "^printer", "printer*", "{printer}", "'printer'",
     "x" * 300, "\x00", "🙂", "ä" * 10],
)  # fmt: skip
def test_syntax_in_the_words_is_never_syntax(shared: tuple[Engine, dict], words: str) -> None:
    engine, sample = shared
    hits = found(engine, words)
    assert set(hits) <= {1, sample["printer"], sample["laptop"]}  # no error, nothing invented
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(T["ticket"])).scalar_one() == 3


def test_words_without_letters_search_by_the_filters_alone(shared: tuple[Engine, dict]) -> None:
    engine, sample = shared
    assert found(engine, '" * - :') == [1, sample["printer"], sample["laptop"]]
    assert found(engine, "printer*") == [sample["printer"]]  # the star is punctuation; the prefix rule still holds


def test_a_rolled_back_article_leaves_no_index_row(engine: Engine, world: SearchWorld) -> None:
    ticket_id = world.indexed_ticket(RAW_QUEUE, title="Quiet")
    with engine.connect() as conn:
        with conn.begin() as transaction:
            article_id = insert_article(conn, ticket_id, subject="zebra crossing", body="x")
            index_article(conn, article_id)
            inside = search_tickets(conn, TicketQuery(text="zebra"), agent_id=ROOT)
            transaction.rollback()
        article = search_tables(conn.dialect.name).article
        assert conn.execute(select(article).where(article.c.article_id == article_id)).all() == []
    assert [hit.id for hit in inside.rows] == [ticket_id]  # the transaction saw its own index row
    assert found(engine, "zebra") == []


def test_a_committed_article_is_found_at_once(engine: Engine, world: SearchWorld) -> None:
    ticket_id = world.indexed_ticket(RAW_QUEUE, title="Quiet")
    with engine.begin() as conn:
        index_article(conn, insert_article(conn, ticket_id, subject="zebra crossing", body="x"))
    assert found(engine, "zebra crossing") == [ticket_id]


def test_a_new_title_replaces_the_old_one(engine: Engine, sample: dict[str, int]) -> None:
    with engine.begin() as conn:
        conn.execute(update(T["ticket"]).where(T["ticket"].c.id == sample["printer"]).values(title="Scanner jammed"))
        index_ticket(conn, sample["printer"])
    assert found(engine, "printer") == []
    assert found(engine, "scanner") == [sample["printer"]]


def test_index_articles_writes_a_batch_and_replaces(engine: Engine, world: SearchWorld) -> None:
    ticket_id = world.indexed_ticket(RAW_QUEUE, title="Batch")
    with engine.begin() as conn:
        ids = [insert_article(conn, ticket_id, subject=f"alpha{n}", body="beta") for n in range(3)]
        index_articles(conn, ids)
        index_articles(conn, ids[:1])  # again: replaced, not doubled
        index_articles(conn, [])
    assert found(engine, "alpha2 beta") == [ticket_id]
    with engine.connect() as conn:
        article = search_tables(conn.dialect.name).article
        rows = conn.execute(select(article.c.article_id, article.c.ticket_id).where(article.c.article_id.in_(ids)))
        assert sorted(rows) == [(article_id, ticket_id) for article_id in ids]


def test_indexing_a_vanished_row_removes_its_document(engine: Engine, sample: dict[str, int]) -> None:
    with engine.begin() as conn:
        mime = T["article_data_mime"]
        conn.execute(delete(mime).where(mime.c.article_id == sample["article"]))
        index_article(conn, sample["article"])
    assert found(engine, "paper jam") == []
    assert found(engine, "laptop") == [sample["laptop"]]


def test_dropping_a_ticket_and_articles(engine: Engine, sample: dict[str, int]) -> None:
    with engine.begin() as conn:
        drop_articles(conn, [sample["article"]])
    assert found(engine, "paper jam") == []
    assert found(engine, "laptop") == [sample["laptop"]]
    with engine.begin() as conn:
        drop_tickets(conn, [sample["laptop"]])
    assert found(engine, "laptop") == []


def test_deleted_tickets_leave_no_orphans(engine: Engine, sample: dict[str, int]) -> None:
    laptop = sample["laptop"]
    with engine.begin() as conn:
        drop_tickets(conn, [laptop])  # before the rows go (FTS5 has no foreign keys)
        delete_article(conn, sample["article"])
        conn.execute(delete(T["ticket"]).where(T["ticket"].c.id == laptop))
        tables = search_tables(conn.dialect.name)
        tickets = conn.execute(select(tables.ticket.c.ticket_id).order_by(tables.ticket.c.ticket_id)).scalars().all()
        articles = conn.execute(select(tables.article.c.article_id)).scalars().all()
    assert (tickets, articles) == ([1, sample["printer"]], [1])  # OTRS's welcome ticket and article remain


def delete_article(conn: Connection, article_id: int) -> None:
    conn.execute(delete(T["article_data_mime"]).where(T["article_data_mime"].c.article_id == article_id))
    conn.execute(delete(T["article"]).where(T["article"].c.id == article_id))


def test_a_merge_moves_the_article_documents(engine: Engine, sample: dict[str, int]) -> None:
    with engine.begin() as conn:
        article = T["article"]
        conn.execute(update(article).where(article.c.ticket_id == sample["laptop"]).values(ticket_id=sample["printer"]))
        follow_articles(conn, [sample["printer"], sample["laptop"]])
    assert found(engine, "paper jam") == [sample["printer"]]


def test_long_bodies_are_indexed_up_to_the_limit(engine: Engine, world: SearchWorld) -> None:
    ticket_id = world.indexed_ticket(RAW_QUEUE, title="Long")
    body = "early " + "lorem ipsum dolor " * (BODY_CHARS // 18) + " late"
    world.indexed_article(ticket_id, subject="Long", body=body + " word" * 100_000)
    assert found(engine, "early") == [ticket_id]
    assert found(engine, "late") == []


def test_long_prefixes_are_matched_too(engine: Engine, world: SearchWorld) -> None:
    ticket_id = world.indexed_ticket(RAW_QUEUE, title="Internationalisation broke the helpdesk")
    # 16 characters: a stored beginning on PostgreSQL; 17 and more: a partial match of the word list
    for words in ("internationalisa", "internationalisat", "internationalisation", "broke internationalisati"):
        assert found(engine, words) == [ticket_id], words
    assert found(engine, "internationalisations") == []


@pytest.mark.parametrize(
    ("words", "lexemes"),
    [
        ("", ""),
        ("ab abc abcd", "'^abc':3 'ab':1 'abc':2 'abcd':3"),  # beginnings from 3 characters, shorter than the word
        ("laptop lapse laptop", "'^lap':1,2,3 '^laps':2 '^lapt':1,3 '^lapto':1,3 'lapse':2 'laptop':1,3"),
        ("a\u00b2b  muller", "'^mul':2 '^mull':2 '^mulle':2 'a\u00b2b':1 'muller':2"),  # tokens as they are: no parser
        ("x" * 20, "'^xxx':1 " + " ".join(f"'^{'x' * n}':1" for n in range(4, 17)) + f" '{'x' * 20}':1"),
    ],
)
def test_postgresql_documents_hold_the_words_and_their_beginnings(postgres_url: str, words: str, lexemes: str) -> None:
    engine = make_database(postgres_url)
    try:
        with engine.connect() as conn:
            document = conn.execute(text("SELECT gotrs_search_doc(:words)::text"), {"words": words}).scalar_one()
            order = conn.execute(text("SELECT CAST(:lexemes AS tsvector)::text"), {"lexemes": lexemes}).scalar_one()
        assert document == order
    finally:
        engine.dispose()


def test_the_apps_documents_equal_the_database_functions(postgres_url: str) -> None:
    samples = [
        "",
        document("Re: ERR-1234 after update", "Jörg Müller <jorg@example.com>", "x²y ½ ǅemal 中文字 ǅ"),
        " ".join(["laptop", "lapse", "lapland"] * 200),  # prefixes merged from several words, 256 positions kept
        " ".join(f"w{n}abcdefghijklmnopq" for n in range(4_100)),  # beginnings of the first 4,000 words only
        "early " + "z" * 3_000 + " " + "é" * 1_100 + " late",  # lexemes of 2 kB and more are left out
        " ".join(["tail"] * 17_000 + ["last"]),  # positions past 16,383
    ]
    engine = make_database(postgres_url)
    try:
        with engine.connect() as conn:
            for words in samples:
                same = conn.execute(
                    text("SELECT CAST(:literal AS tsvector) = gotrs_search_doc(:words)"),  # lexemes and positions
                    {"literal": tsvector_literal(words), "words": words},
                ).scalar_one()
                assert same, words[:60]
    finally:
        engine.dispose()


def test_postgresql_documents_stay_within_tsvector_limits(postgres_url: str) -> None:
    words = " ".join(f"w{n:05d}abcdefghijklmnop" for n in range(6_000)) + " " + "y" * 3_000 + " late"
    engine = make_database(postgres_url)
    try:
        with engine.connect() as conn:
            lexemes = dict(
                conn.execute(
                    text("SELECT lexeme, cardinality(positions) FROM unnest(gotrs_search_doc(:words))"),
                    {"words": words},
                ).all()
            )
    finally:
        engine.dispose()
    assert (
        "y" * 3_000 not in lexemes and "late" in lexemes
    )  # a lexeme longer than 2 kB is left out, as to_tsvector does
    assert "w05999abcdefghijklmnop" in lexemes  # every word stays
    assert "^w03999" in lexemes and "^w04000" not in lexemes  # beginnings of the first 4,000 distinct words only
    assert lexemes["^w00"] == 256  # a lexeme keeps 256 positions


def migration(name: str) -> Any:
    """The revision module ``name`` of ``modules/db/migrations/versions`` (its file name is not importable)."""
    spec = importlib.util.spec_from_file_location(
        f"revision_{name}", MIGRATIONS.script_location / "versions" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    revision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision)
    return revision


def test_the_migration_rewrites_existing_postgresql_documents(postgres_url: str) -> None:
    revision = migration("0008_search_prefixes")
    engine = make_database(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TEMPORARY TABLE gotrs_ticket_fts_old (doc tsvector)"))
            conn.execute(
                text("INSERT INTO gotrs_ticket_fts_old VALUES (to_tsvector('simple', 'printer on fire printer'))")
            )
            conn.execute(text(revision.REWRITE[0].replace("gotrs_ticket_fts", "gotrs_ticket_fts_old")))
            rewritten = conn.execute(text("SELECT doc::text FROM gotrs_ticket_fts_old")).scalar_one()
            expected = conn.execute(text("SELECT gotrs_search_doc('printer on fire printer')::text")).scalar_one()
            assert rewritten == expected
            conn.execute(text(revision.UNDO[0].replace("gotrs_ticket_fts", "gotrs_ticket_fts_old")))
            undone = conn.execute(text("SELECT doc::text FROM gotrs_ticket_fts_old")).scalar_one()
            assert (
                undone
                == conn.execute(text("SELECT to_tsvector('simple', 'printer on fire printer')::text")).scalar_one()
            )
    finally:
        engine.dispose()


def test_postgresql_documents_are_stored_lz4_with_short_pending_lists(postgres_url: str) -> None:
    revision = migration("0009_search_storage")
    engine = make_database(postgres_url)
    try:
        world = SearchWorld(engine)
        ticket_id = world.indexed_ticket(RAW_QUEUE, title="Long mail")
        body = " ".join(f"word{n} printer{n % 7}" for n in range(400))  # a document past the 2 kB to compress
        article_id = world.indexed_article(ticket_id, subject="long", body=body)
        with engine.connect() as conn:
            options = dict(
                conn.execute(
                    text(
                        "SELECT relname, array_to_string(reloptions, ',') FROM pg_class WHERE relname LIKE '%_fts_doc'"
                    )
                ).all()
            )
            lz4 = conn.execute(revision.HAS_LZ4).scalar_one()
            methods = conn.execute(
                text(
                    "SELECT attrelid::regclass::text, attcompression FROM pg_attribute WHERE attname = 'doc'"
                    " AND attrelid IN ('gotrs_ticket_fts'::regclass, 'gotrs_article_fts'::regclass)"
                )
            ).all()
            stored = conn.execute(
                text("SELECT pg_column_compression(doc) FROM gotrs_article_fts WHERE article_id = :id"),
                {"id": article_id},
            ).scalar_one()
    finally:
        engine.dispose()
    assert options == {name: "gin_pending_list_limit=256" for name in ("gotrs_ticket_fts_doc", "gotrs_article_fts_doc")}
    if not lz4:
        pytest.skip("this PostgreSQL server was built without lz4: documents stay pglz")
    assert sorted(methods) == [("gotrs_article_fts", "l"), ("gotrs_ticket_fts", "l")]
    assert stored == "lz4"


def test_reindex_all_builds_the_index_of_existing_rows(engine: Engine) -> None:
    with engine.begin() as conn:
        tickets = [insert_ticket(conn, n, RAW_QUEUE, title=f"Imported {n}") for n in range(1, 6)]
        for ticket_id in tickets:
            insert_article(conn, ticket_id, subject="imported mail", body=f"body{ticket_id}")
    calls: list[tuple[str, int, int]] = []
    result = reindex_all(engine, batch=2, progress=lambda *args: calls.append(args))
    assert (result.tickets, result.articles) == (6, 6)  # OTRS's welcome ticket and its article too
    assert calls == [(phase, done, 6) for phase in ("tickets", "articles") for done in (2, 4, 6)]
    assert found(engine, "imported") == tickets
    assert found(engine, f"body{tickets[2]}") == [tickets[2]]
    assert found(engine, "welcome") == [1]
    reindex_all(engine)  # again: same rows, nothing doubled
    with engine.connect() as conn:
        article = search_tables(conn.dialect.name).article
        assert conn.execute(select(func.count()).select_from(article)).scalar_one() == 6


def test_reindex_removes_documents_of_vanished_rows(engine: Engine, sample: dict[str, int]) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # foreign keys would remove them at once: switch the check off
            conn.execute(text("ALTER TABLE gotrs_article_fts DROP CONSTRAINT fk_gotrs_article_fts_article_id_id"))
        delete_article(conn, sample["article"])
    reindex_all(engine)
    with engine.connect() as conn:
        article = search_tables(conn.dialect.name).article
        assert conn.execute(select(article.c.article_id)).scalars().all() == [1]  # OTRS's welcome article


def test_reindex_checks_the_batch_size(engine: Engine) -> None:
    with pytest.raises(ValueError, match=r"^batch: use a number above 0\.$"):
        reindex_all(engine, batch=0)


@pytest.mark.mariadb
def test_mariadb_fulltext_index(mariadb_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # agent_permissions() does not run on MariaDB yet (its UNION mixes collations): that is not this test's subject.
    monkeypatch.setattr(search, "_permission", lambda *_args: true())
    engine = make_database(mariadb_url)
    try:
        sample = add_sample(SearchWorld(engine))
        printer, laptop = sample["printer"], sample["laptop"]
        cases = {"prin": [printer], "on fire": [printer], "MULLER": [laptop], "john.doe@example.com": [laptop]}
        cases |= {'"paper jam"': [laptop], '"jam paper"': [], "floor 3": [laptop], "ab": [], "'; DROP": []}
        assert {words: found(engine, words) for words in cases} == cases
    finally:
        engine.dispose()
