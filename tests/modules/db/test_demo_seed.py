"""The demo set: enough realistic, consistent data for every screen, added once, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from goatkit.db import make_engine
from goatkit.passwords import verify_password
from modules.db import MIGRATIONS
from modules.db.schema import metadata
from modules.db.seed import SeedError, insert_initial_data, seed_demo
from modules.tickets.numbers import is_date_checksum_number

T = metadata.tables
WELCOME_TICKET_ID = 1  # OTRS's own welcome ticket, from the initial data
NOW = datetime(2024, 3, 15, 12, 0, 0)


def make_database(url: str) -> Engine:
    engine = make_engine(url)
    MIGRATIONS.upgrade(engine)  # as `gotrs db init`: the schema with the search index tables
    with engine.begin() as conn:
        insert_initial_data(conn, admin_password="admin password")
    return engine


@pytest.fixture
def demo(db_url: str) -> Iterator[tuple[Engine, dict[str, Any]]]:
    engine = make_database(db_url)
    with engine.begin() as conn:
        report = seed_demo(conn)
    yield engine, report
    engine.dispose()


def scalars(engine: Engine, query: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def demo_tickets() -> Any:
    return select(T["ticket"]).where(T["ticket"].c.id != WELCOME_TICKET_ID)


def test_report(demo: tuple[Engine, dict[str, Any]]) -> None:
    engine, report = demo
    assert report["seeded"] is True
    assert report["tickets"] == 200 and report["customers"] == 20 and report["companies"] == 5
    assert len(report["agents"]) == 6 and report["password"]
    users = T["users"]
    hashes = scalars(engine, select(users.c.pw).where(users.c.login.in_(report["agents"])))
    assert len(hashes) == 6
    assert all(h.startswith("$argon2id$") and verify_password(report["password"], h) for h in hashes)


def test_tickets_have_articles_and_a_new_ticket_history_row(demo: tuple[Engine, dict[str, Any]]) -> None:
    engine, _ = demo
    ticket, article, history, types = T["ticket"], T["article"], T["ticket_history"], T["ticket_history_type"]
    assert scalars(engine, select(func.count()).select_from(demo_tickets().subquery())) == [200]
    without_article = select(ticket.c.id).where(
        ~select(article.c.id).where(article.c.ticket_id == ticket.c.id).exists()
    )
    assert scalars(engine, without_article) == []
    per_ticket = scalars(engine, select(func.count()).select_from(article).group_by(article.c.ticket_id))
    assert min(per_ticket) >= 1 and max(per_ticket) <= 5
    new_ticket = (
        select(history.c.ticket_id, history.c.name)
        .join(types, types.c.id == history.c.history_type_id)
        .where(types.c.name == "NewTicket", history.c.article_id.is_(None))
    )
    with engine.connect() as conn:
        names = {row.ticket_id: row.name for row in conn.execute(new_ticket)}
        tickets = conn.execute(demo_tickets()).all()
    for row in tickets:
        assert names[row.id].startswith(f"%%{row.tn}%%") and names[row.id].endswith(f"%%new%%{row.id}")


def test_articles_have_mime_data_from_both_sides(demo: tuple[Engine, dict[str, Any]]) -> None:
    engine, _ = demo
    article, mime = T["article"], T["article_data_mime"]
    sender, channel = T["article_sender_type"], T["communication_channel"]
    query = (
        select(sender.c.name, channel.c.name, article.c.is_visible_for_customer, mime.c.a_message_id_md5)
        .join(mime, mime.c.article_id == article.c.id)
        .join(sender, sender.c.id == article.c.article_sender_type_id)
        .join(channel, channel.c.id == article.c.communication_channel_id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        assert conn.execute(select(func.count()).select_from(article)).scalar_one() == len(rows)
    kinds = {(s, c, v) for s, c, v, _ in rows}
    assert {
        ("customer", "Email", 1),
        ("agent", "Email", 1),
        ("customer", "Phone", 1),
        ("agent", "Internal", 0),
    } <= kinds
    assert all(md5 is None or len(md5) == 32 for *_, md5 in rows)


def test_tickets_spread_over_states_queues_priorities_and_owners(demo: tuple[Engine, dict[str, Any]]) -> None:
    engine, _ = demo
    ticket, state, queue = T["ticket"], T["ticket_state"], T["queue"]
    tickets = demo_tickets().subquery()
    states = scalars(engine, select(state.c.name).join(tickets, tickets.c.ticket_state_id == state.c.id).distinct())
    assert {"new", "open", "pending reminder", "closed successful", "closed unsuccessful"} <= set(states)
    queues = scalars(engine, select(queue.c.name).join(tickets, tickets.c.queue_id == queue.c.id).distinct())
    assert {"Support", "Support::Hardware", "Billing", "IT Operations"} <= set(queues) and len(queues) >= 5
    assert len(scalars(engine, select(tickets.c.ticket_priority_id).distinct())) == 5
    assert len(scalars(engine, select(tickets.c.user_id).distinct())) >= 5
    assert set(scalars(engine, select(ticket.c.ticket_lock_id).distinct())) == {1, 2}  # unlock, lock


def test_ticket_fields_follow_otrs_rules(demo: tuple[Engine, dict[str, Any]]) -> None:
    engine, _ = demo
    state, types = T["ticket_state"], T["ticket_state_type"]
    query = select(demo_tickets().subquery(), types.c.name.label("state_type"))
    query = query.join(state, state.c.id == query.selected_columns.ticket_state_id).join(
        types, types.c.id == state.c.type_id
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    for row in rows:
        assert (row.until_time > 0) == row.state_type.startswith("pending"), row.tn
        if row.state_type == "closed":
            assert row.ticket_lock_id == 1, row.tn  # closing unlocks
        assert row.create_time <= row.change_time
        assert row.responsible_user_id == row.user_id
        if row.state_type in ("closed", "merged", "removed") or row.sla_id is None:
            assert row.escalation_time == 0, row.tn  # no goals (the demo queues have none), or done
        else:  # the SLA's solution time always applies to an open ticket: the escalation index was built
            assert row.escalation_solution_time > 0 and 0 < row.escalation_time <= row.escalation_solution_time, row.tn
    assert any(row.escalation_time for row in rows)


def test_ticket_numbers_are_unique_date_checksum_numbers_of_the_creation_day(
    demo: tuple[Engine, dict[str, Any]],
) -> None:
    engine, _ = demo
    with engine.connect() as conn:
        rows = conn.execute(demo_tickets()).all()
    numbers = [row.tn for row in rows]
    assert len(set(numbers)) == len(numbers) == 200
    for row in rows:
        assert is_date_checksum_number(row.tn), row.tn
        assert row.tn.startswith(f"{row.create_time:%Y%m%d}10")


def test_agents_groups_roles_customers_and_services(demo: tuple[Engine, dict[str, Any]]) -> None:
    engine, _ = demo
    keys = set(scalars(engine, select(T["group_user"].c.permission_key).distinct()))
    assert {"ro", "rw", "note", "owner"} <= keys
    assert len(scalars(engine, select(T["roles"].c.id))) == 2
    assert len(scalars(engine, select(T["group_role"].c.role_id))) >= 5
    assert len(scalars(engine, select(T["customer_company"].c.customer_id))) == 5
    assert len(scalars(engine, select(T["customer_user"].c.login))) == 20
    services = scalars(engine, select(T["service"].c.name))
    assert "IT Services::Hardware::Laptops" in services
    assert all(name.rsplit("::", 1)[0] in services for name in services if "::" in name)  # parents exist
    assert len(scalars(engine, select(T["service_sla"].c.sla_id))) >= len(services)
    assert "<DEFAULT>" in scalars(engine, select(T["service_customer_user"].c.customer_user_login))


def test_foreign_keys_hold(demo: tuple[Engine, dict[str, Any]]) -> None:
    engine, _ = demo
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        for table in metadata.sorted_tables:  # the same check, portable: no reference without its row
            for fk in table.foreign_keys:
                parent = fk.column.table.alias()
                orphans = (
                    select(func.count())
                    .select_from(table.outerjoin(parent, fk.parent == parent.c[fk.column.name]))
                    .where(fk.parent.is_not(None), parent.c[fk.column.name].is_(None))
                )
                assert conn.execute(orphans).scalar_one() == 0, f"{table.name}.{fk.parent.name}"


def test_second_run_does_nothing(demo: tuple[Engine, dict[str, Any]]) -> None:
    engine, _ = demo

    def counts() -> dict[str, int]:
        with engine.connect() as conn:
            return {n: conn.execute(select(func.count()).select_from(t)).scalar_one() for n, t in T.items()}

    before = counts()
    with engine.begin() as conn:
        assert seed_demo(conn) == {"seeded": False}
    assert counts() == before


def test_new_rows_get_fresh_ids_after_the_demo(demo: tuple[Engine, dict[str, Any]]) -> None:
    engine, _ = demo
    queue = T["queue"]
    with engine.begin() as conn:
        highest = conn.execute(select(func.max(queue.c.id))).scalar_one()
        row = {"name": "After demo", "group_id": 1, "system_address_id": 1, "salutation_id": 1, "signature_id": 1,
               "follow_up_id": 1, "follow_up_lock": 0, "valid_id": 1, "create_time": NOW, "create_by": 1,
               "change_time": NOW, "change_by": 1}  # fmt: skip
        assert conn.execute(insert(queue).values(row).returning(queue.c.id)).scalar_one() == highest + 1


def test_same_seed_and_time_give_the_same_data(tmp_path: Path) -> None:
    results = []
    for name in ("a", "b"):
        engine = make_database(f"sqlite:///{tmp_path / name}.db")
        with engine.begin() as conn:
            seed_demo(conn, rng_seed=7, now=NOW, password="demo")
        with engine.connect() as conn:
            ticket = T["ticket"]
            query = select(ticket.c.tn, ticket.c.title, ticket.c.ticket_state_id, ticket.c.create_time)
            results.append(conn.execute(query.where(ticket.c.id != WELCOME_TICKET_ID).order_by(ticket.c.id)).all())
        engine.dispose()
    assert results[0] == results[1]
    assert all(row.create_time <= NOW and row.tn[:8] <= f"{NOW:%Y%m%d}" for row in results[0])


def test_demo_needs_the_initial_data(db_url: str) -> None:
    engine = make_engine(db_url)
    MIGRATIONS.upgrade(engine)  # as `gotrs db init`: the schema with the search index tables
    with engine.begin() as conn, pytest.raises(SeedError) as error:
        seed_demo(conn)
    assert str(error.value) == "The OTRS initial data is missing: run `gotrs db init` before adding demo data."
    engine.dispose()


def test_demo_refuses_a_database_that_already_has_its_names(db_url: str) -> None:
    engine = make_database(db_url)
    groups = T["permission_groups"]
    with engine.begin() as conn:
        conn.execute(insert(groups).values(name="billing", valid_id=1, create_time=NOW, create_by=1,
                                           change_time=NOW, change_by=1))  # fmt: skip
    with engine.begin() as conn, pytest.raises(SeedError) as error:
        seed_demo(conn)
    assert str(error.value) == (
        "The demo set cannot be added: permission_groups 'billing' already exists. Demo data is meant for a fresh "
        "database."
    )
    engine.dispose()
