"""The million-ticket generator and its benchmark targets, at a tiny size, so the harness cannot silently rot.

One dataset of 2,000 tickets is built on the test PostgreSQL server (the generator is PostgreSQL-only: it fills
the tables with set-based SQL) in a database of its own, and checked: counts, distributions, permissions, history,
dynamic fields, that the SQL-built search index is exactly what ``reindex_all`` writes, and that the floor and the
real app's queue view show the same tickets to the same agent.  No timing is asserted here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from benchmarks.tickets import dataset as generator
from benchmarks.tickets import floor, upkeep, words
from benchmarks.tickets.app import settings
from benchmarks.tickets.dataset import Dataset, ensure_dataset
from benchmarks.tickets.targets import prepare
from goatkit.db import make_engine
from modules.tickets.actor import Actor
from modules.tickets.drafts import TicketDraft
from modules.tickets.search_text import tokens
from modules.tickets.service import TicketService
from tests.conftest import require_service
from tests.modules.tickets.ticket_world import PHONE_CALL, RAW

TICKETS = 2000
TN = re.compile(rb"\b(20\d{6}10\d{7})\b")


@pytest.fixture(scope="module")
def built() -> Iterator[Dataset]:
    server = require_service("GOTRS_TEST_PG_URL", "PostgreSQL")
    name = f"gotrs_test_bench_{uuid.uuid4().hex[:8]}"
    made = ensure_dataset(server, TICKETS, name, progress=lambda _line: None)
    yield made
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def scalar(dataset: Dataset, sql: str, **params: object) -> object:
    engine = create_engine(dataset.url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def test_counts_and_idempotence(built: Dataset) -> None:
    expected_articles = sum(1 + (i * 7919) % 9 for i in range(1, TICKETS + 1))
    assert built.tickets == TICKETS and built.articles == expected_articles
    assert scalar(built, "SELECT count(*) FROM ticket") == TICKETS
    assert scalar(built, "SELECT count(*) FROM article_data_mime") == expected_articles
    assert scalar(built, "SELECT count(*) FROM queue WHERE id > 100") == 200
    assert scalar(built, "SELECT count(DISTINCT group_id) FROM queue WHERE id > 100") == 20
    assert scalar(built, "SELECT count(*) FROM users WHERE id > 100") == 50
    assert scalar(built, "SELECT count(*) FROM customer_user") == 5000
    assert scalar(built, "SELECT count(*) FROM ticket_history") == 3 * TICKETS
    assert scalar(built, "SELECT min(create_time) >= :s AND max(create_time) <= :e FROM ticket",
                  s=generator.START, e=generator.END) is True  # fmt: skip
    again = ensure_dataset(built.url.set(database="postgres"), TICKETS, built.url.database or "", lambda _l: None)
    assert again.build_seconds == built.build_seconds  # found, not rebuilt


def test_tickets_a_run_created_are_removed_when_the_dataset_is_found_again(built: Dataset) -> None:
    engine = make_engine(built.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as conn:
            service = TicketService(conn, Actor.system(), now=generator.END)
            created = service.create(TicketDraft(title="Made by a run", queue=RAW), PHONE_CALL)
    finally:
        engine.dispose()
    assert created.ticket_id > TICKETS and scalar(built, "SELECT count(*) FROM ticket") == TICKETS + 1
    ensure_dataset(built.url.set(database="postgres"), TICKETS, built.url.database or "", lambda _l: None)
    assert scalar(built, "SELECT count(*) FROM ticket") == TICKETS
    assert scalar(built, "SELECT count(*) FROM article WHERE ticket_id = :t", t=created.ticket_id) == 0
    assert scalar(built, "SELECT count(*) FROM ticket_history") == 3 * TICKETS
    assert scalar(built, "SELECT count(*) FROM gotrs_ticket_fts WHERE ticket_id = :t", t=created.ticket_id) == 0


def test_prewarm_reads_the_search_and_queue_relations_into_memory(built: Dataset) -> None:
    lines: list[str] = []
    installed = "SELECT count(*) FROM pg_extension WHERE extname = 'pg_prewarm'"
    assert scalar(built, installed) == 0  # a built dataset has no pg_prewarm: the run's step installs it
    upkeep.prewarm(built.url, lines.append)
    assert scalar(built, installed) == 1
    assert len(lines) == 1 and lines[0].startswith("prewarmed "), lines
    relations = int(lines[0].split()[1])  # the three tables, their TOAST tables and every index of each
    expected = scalar(
        built,
        "SELECT count(*) FROM pg_class t WHERE t.relname = ANY(:names)",
        names=list(upkeep.WARMED),
    )
    assert expected == 3
    indexes = scalar(
        built,
        "SELECT count(*) FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(:names)",
        names=list(upkeep.WARMED),
    )
    toast = scalar(
        built, "SELECT count(*) FROM pg_class t WHERE t.relname = ANY(:names) AND t.reltoastrelid <> 0",
        names=list(upkeep.WARMED),
    )  # fmt: skip
    assert relations == 3 + indexes + toast  # type: ignore[operator]


def test_distributions(built: Dataset) -> None:
    viewable = scalar(built, "SELECT count(*) FROM ticket WHERE ticket_state_id IN (1, 4, 6, 7, 8)")
    assert 0.07 * TICKETS < viewable < 0.13 * TICKETS  # type: ignore[operator]
    normal = scalar(built, "SELECT count(*) FROM ticket WHERE ticket_priority_id = 3")
    assert 0.6 * TICKETS < normal < 0.8 * TICKETS  # type: ignore[operator]
    biggest = scalar(built, "SELECT max(c) FROM (SELECT count(*) c FROM ticket GROUP BY queue_id) x")
    assert biggest > 0.08 * TICKETS  # type: ignore[operator]  # skewed: the biggest queue holds about 12%
    locked_closed = scalar(built, "SELECT count(*) FROM ticket WHERE ticket_lock_id = 2 AND ticket_state_id IN (2, 3)")
    assert locked_closed == 0
    shares = {row: scalar(built, "SELECT count(*) FROM dynamic_field_value WHERE field_id = :f", f=row)
              for row in (1001, 1002, 1003)}  # fmt: skip
    assert 0.5 * TICKETS < shares[1001] < 0.7 * TICKETS  # type: ignore[operator]
    assert 0.2 * TICKETS < shares[1002] < 0.4 * TICKETS  # type: ignore[operator]
    assert 0.1 * TICKETS < shares[1003] < 0.3 * TICKETS  # type: ignore[operator]
    printer = scalar(built, "SELECT count(*) FROM gotrs_article_fts WHERE doc @@ to_tsquery('simple', 'printer')")
    assert 0.05 * built.articles < printer < 0.3 * built.articles  # type: ignore[operator]


def test_permissions(built: Dataset) -> None:
    grants = generator.agent_grants()
    rw = {n: sum(key == "rw" for key in keys.values()) for n, keys in grants.items()}
    assert [n for n, count in rw.items() if count == 20] == [1, 2, 3]
    assert all(2 <= rw[n] <= 6 for n in range(4, 41))
    assert all(rw[n] == 0 and 2 <= len(grants[n]) <= 3 for n in range(41, 51))
    stored = scalar(built, "SELECT count(*) FROM group_user WHERE group_id > 100")
    assert stored == sum(len(keys) for keys in grants.values())
    typical = generator.typical_agent_number(grants)
    assert built.typical_agent == generator.agent_login(typical) and rw[typical] == 4


def test_history_names(built: Dataset) -> None:
    row = scalar(built, "SELECT string_agg(h.name, '|' ORDER BY h.id) FROM ticket_history h WHERE ticket_id = 7")
    tn, customer, user, queue, priority = [
        scalar(built, sql)
        for sql in (
            "SELECT tn FROM ticket WHERE id = 7",
            "SELECT customer_id FROM ticket WHERE id = 7",
            "SELECT customer_user_id FROM ticket WHERE id = 7",
            "SELECT q.name FROM ticket t JOIN queue q ON q.id = t.queue_id WHERE t.id = 7",
            "SELECT p.name FROM ticket t JOIN ticket_priority p ON p.id = t.ticket_priority_id WHERE t.id = 7",
        )
    ]
    assert row == f"%%{tn}%%{queue}%%{priority}%%new%%7|%%CustomerID={customer};CustomerUser={user};|%%"


def test_search_index_is_what_reindex_all_writes(built: Dataset) -> None:
    from goatkit.db import make_engine
    from modules.tickets.search_index import reindex_all

    engine = make_engine(built.url.render_as_string(hide_password=False))
    snapshot = (
        "SELECT 't' || ticket_id, doc::text FROM gotrs_ticket_fts UNION ALL "
        "SELECT 'a' || article_id || ':' || ticket_id, doc::text FROM gotrs_article_fts ORDER BY 1"
    )
    try:
        with engine.connect() as conn:
            before = conn.execute(text(snapshot)).all()
        reindex_all(engine)
        with engine.connect() as conn:
            after = conn.execute(text(snapshot)).all()
    finally:
        engine.dispose()
    assert len(before) == TICKETS + built.articles
    assert before == after


def test_floor_and_app_show_the_same_queue_rows(built: Dataset, tmp_path: Path) -> None:
    from gotrs_app import create_app

    facts = prepare(built)
    assert facts.fields == ("Category", "DueDate")  # the queue-view columns of the dataset's dynamic fields
    url = built.url.render_as_string(hide_password=False)
    app = create_app(settings(url, facts.secret_key, tmp_path / "var"))
    floor_client = floor.create_app(url).test_client()
    for shape in ("queues", "queue"):
        shown = app.test_client().get(facts.paths("app")[shape], headers=facts.headers)
        reference = floor_client.get(facts.paths("floor")[shape])
        assert shown.status_code == 200 and reference.status_code == 200
        app_tns, floor_tns = TN.findall(shown.data), TN.findall(reference.data)
        assert 0 < len(floor_tns) <= floor.PAGE_SIZE and (shape == "queue" or len(floor_tns) == floor.PAGE_SIZE)
        assert list(dict.fromkeys(app_tns)) == floor_tns
        assert floor_tns[0].decode() == facts.expected[shape][0] and floor_tns[-1].decode() == facts.expected[shape][1]
        for name in facts.fields:  # both show the same dynamic-field columns
            assert f"<th>{name}</th>".encode() in reference.data and name.encode() in shown.data


def test_search_terms_rotate_over_the_vocabulary() -> None:
    terms = words.search_terms(40)
    assert len(set(terms)) == 40
    assert {len(term.split()) for term in terms} == {1, 2}
    assert all(word in words.VOCABULARY for term in terms for word in term.split())


def test_needle_terms_are_ticket_numbers_absent_words_and_misspellings() -> None:
    terms = words.needle_terms(["2024010110000001", "2024010110000002"], 30)
    lists = (words.VOCABULARY, words.FIRST_NAMES, words.LAST_NAMES, words.GROUPS, words.SUBQUEUES, words.CATEGORIES)
    written = {token for listed in lists for word in listed for token in tokens(word)}
    assert terms[0] == "2024010110000001" and len(set(terms[1::3])) == 10 and len(set(terms[2::3])) == 10
    made_up = words.needle_terms(["2024010110000001"], 600)
    assert not written.intersection(made_up[1::3] + made_up[2::3])  # no word the generator writes
    assert not [w for w in made_up[1::3] + made_up[2::3] if any(t.startswith(w) for t in written)]  # nor begins
    assert all(term.isalpha() and len(term) >= 4 for term in terms[1::3] + terms[2::3])
