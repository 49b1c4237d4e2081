"""Ticket number allocation: OTRS's visible numbers through the real allocation path, unique under concurrency."""

from __future__ import annotations

import multiprocessing
from datetime import date, datetime

import pytest
from sqlalchemy import Engine, func, select, text

from modules.tickets import counter
from modules.tickets.drafts import TicketDraft
from modules.tickets.numbers import AutoIncrementGenerator, DateChecksumGenerator, DateGenerator, RandomGenerator
from modules.tickets.options import TicketOptions
from tests.modules.tickets import ticket_world
from tests.modules.tickets.ticket_world import RAW, Desk, T, create_many

database_url, engine, desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk  # fixtures

NEW_YEAR = datetime(2024, 1, 1, 9, 30)


@pytest.mark.parametrize(
    ("counter_value", "expected"),
    [
        (1, "2024010110000012"),
        (2, "2024010110000021"),
        (3, "2024010110000031"),
        (11, "2024010110000111"),
        (12345, "2024010110123452"),
        (100000, "20240101101000002"),
    ],
)
def test_issue_vectors_through_the_allocation_path(engine: Engine, counter_value: int, expected: str) -> None:
    generator = DateChecksumGenerator("10")
    with engine.connect() as conn:  # rolled back: each vector starts from the same table
        if counter_value > 1:
            counter.set_counter(conn, generator, NEW_YEAR.date(), counter_value - 1)
        assert counter.allocate(conn, generator, now=NEW_YEAR) == expected
        conn.rollback()


def test_the_first_ticket_of_a_day_gets_counter_1_and_days_restart(engine: Engine) -> None:
    generator = DateChecksumGenerator("10")
    with engine.connect() as conn:
        first = [counter.allocate(conn, generator, now=datetime(2031, 2, 3, hour)) for hour in (8, 9, 10)]
        next_day = counter.allocate(conn, generator, now=datetime(2031, 2, 4, 0, 0, 1))
        assert first == [generator.create(n, date(2031, 2, 3)) for n in (1, 2, 3)]
        assert first[0] == "2031020310000011"
        assert next_day == generator.create(1, date(2031, 2, 4))
        conn.rollback()


def test_the_generator_and_system_id_come_from_the_options(engine: Engine) -> None:
    with engine.connect() as conn:
        day = datetime(2032, 6, 1, 12)
        assert counter.allocate(conn, TicketOptions(ticket_number_generator="Date").generator(), now=day) == (
            "20320601101"
        )
        assert counter.allocate(conn, DateGenerator("42"), now=day) == "20320601422"
        auto = counter.allocate(conn, AutoIncrementGenerator("10"), now=day)
        assert auto == "1000001"
        assert counter.allocate(conn, AutoIncrementGenerator("10"), now=datetime(2032, 6, 2)) == "1000002"
        random_tn = counter.allocate(conn, RandomGenerator("10"), now=day)
        assert len(random_tn) == 12 and random_tn.startswith("10")
        conn.rollback()


def test_a_day_begun_by_otrs_continues_after_its_counters(engine: Engine) -> None:
    table = T["ticket_number_counter"]
    with engine.connect() as conn:
        for value, uid in ((7, "a" * 32), (8, "b" * 32)):
            conn.execute(
                table.insert().values(counter=value, counter_uid=uid, create_time=datetime(2033, 1, 5, 8, value))
            )
        generator = DateChecksumGenerator("10")
        assert counter.allocate(conn, generator, now=datetime(2033, 1, 5, 9)) == generator.create(9, date(2033, 1, 5))
        conn.rollback()


def test_numbers_already_in_use_are_skipped(desk: Desk) -> None:
    generator = DateChecksumGenerator("10")
    day = datetime(2034, 7, 8, 10)
    taken = generator.create(1, day.date())
    with desk.engine.connect() as conn:  # an imported ticket already has the day's first number
        conn.execute(
            T["ticket"]
            .insert()
            .values(
                tn=taken,
                title="imported",
                queue_id=2,
                ticket_lock_id=1,
                user_id=1,
                responsible_user_id=1,
                ticket_priority_id=3,
                ticket_state_id=1,
                timeout=0,
                until_time=0,
                escalation_time=0,
                escalation_update_time=0,
                escalation_response_time=0,
                escalation_solution_time=0,
                archive_flag=0,
                create_time=day,
                create_by=1,
                change_time=day,
                change_by=1,
            )
        )
        assert counter.allocate(conn, generator, now=day) == generator.create(2, day.date())
        conn.rollback()


def test_creating_skips_numbers_already_in_use(desk: Desk) -> None:
    """The create path learns a number is taken from its own insert (PostgreSQL, SQLite) or a look-up (MariaDB)."""
    first = desk.create(title="first")
    generator = TicketOptions().generator()
    with desk.engine.begin() as conn:
        tickets = T["ticket"]
        row = conn.execute(select(tickets).where(tickets.c.id == first.ticket_id)).mappings().one()
        following = [generator.create(n, desk.now.date()) for n in (2, 3, 4)]
        assert first.tn == generator.create(1, desk.now.date())
        for tn in following[:2]:  # imported tickets hold the next two numbers
            imported = {key: value for key, value in row.items() if key != "id"}
            conn.execute(tickets.insert().values({**imported, "tn": tn, "title": "imported"}))
    created = desk.create(title="after the imported ones")
    assert created.tn == following[2]
    assert desk.ticket(created.ticket_id)["tn"] == following[2]
    with desk.engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(T["ticket"]).where(T["ticket"].c.tn == following[2])).scalar()
            == 1
        )


def test_an_open_create_on_postgresql_keeps_no_other_creator_waiting(desk: Desk) -> None:
    """The counter's increment commits at once on PostgreSQL: a second create (with a 2 s lock timeout) numbers and
    commits while the first create's transaction is still open, and a rolled-back create burns its number."""
    if desk.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: a create counts inside its own transaction there")
    desk.now = datetime(2037, 5, 6, 10)  # a day no other test numbers tickets on
    with desk.engine.connect() as open_conn:
        first = desk.service(open_conn).create(TicketDraft(title="still open", queue=RAW))
        with desk.engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '2s'"))
            second = desk.service(conn).create(TicketDraft(title="not kept waiting", queue=RAW))
        open_conn.rollback()
    generator = TicketOptions().generator()
    assert (first.tn, second.tn) == tuple(generator.create(n, desk.now.date()) for n in (1, 2))
    assert desk.rows("ticket", tn=first.tn) == []  # rolled back, and its number is not given out again
    assert desk.create(title="next").tn == generator.create(3, desk.now.date())


def test_old_day_rows_are_cleaned_up(engine: Engine) -> None:
    generator = DateChecksumGenerator("10")
    table = T["ticket_number_counter"]
    with engine.connect() as conn:
        counter.allocate(conn, generator, now=datetime(2035, 3, 1, 9))
        counter.allocate(conn, generator, now=datetime(2035, 3, 4, 9))
        assert counter.delete_old_scopes(conn, now=datetime(2035, 3, 4, 9)) >= 1
        left = set(
            conn.execute(select(table.c.counter_uid).where(table.c.counter_uid.like("gotrs:day:2035%"))).scalars()
        )
        assert left == {"gotrs:day:20350304"}
        conn.rollback()


def test_two_processes_creating_500_tickets_each_never_share_a_number(desk: Desk, database_url: str) -> None:
    queue_id = desk.queue()
    day = datetime(2036, 9, 9, 12, 0)
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        results = pool.starmap(create_many, [(database_url, 500, queue_id, day)] * 2)
    numbers = results[0] + results[1]
    generator = DateChecksumGenerator("10")
    assert len(numbers) == 1000
    assert sorted(numbers, key=lambda tn: (len(tn), tn)) == [
        generator.create(n, date(2036, 9, 9)) for n in range(1, 1001)
    ]
    with desk.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(T["ticket"]).where(T["ticket"].c.queue_id == queue_id))
        assert stored.scalar_one() == 1000


def test_only_concurrency_errors_are_retried() -> None:
    from sqlalchemy.exc import OperationalError

    from modules.tickets.tx import is_retryable

    class PgError(Exception):
        sqlstate = "40001"

    assert is_retryable(OperationalError("UPDATE", {}, PgError("could not serialize access")))
    assert is_retryable(OperationalError("UPDATE", {}, Exception("database is locked")))
    assert not is_retryable(OperationalError("UPDATE", {}, Exception("no such table: ticket")))
