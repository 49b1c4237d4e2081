"""Saved searches: OTRS's search_profile rows, round trips, and the agent's own list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import Engine, insert, select

from modules.tickets.search_profiles import (
    ProfileNotFound,
    delete_profile,
    list_profiles,
    load_profile,
    save_profile,
)
from modules.tickets.search_query import SearchInvalid, TicketQuery
from tests.modules.permissions.world import T, make_database

PROFILE = T["search_profile"]
TOO_LONG = "is too long to save: a saved value holds at most 200 characters."
FULL = TicketQuery(
    text='printer "paper jam"',
    tn="2024*",
    title="*toner*",
    queue_ids=(3, 4),
    state_ids=(1,),
    state_type=("open", "pending reminder"),
    lock_ids=(1, 2),
    priority_ids=(5,),
    type_ids=(1,),
    service_ids=(7,),
    sla_ids=(8,),
    owner_ids=(2, 9),
    responsible_ids=(3,),
    customer_id="ACME",
    customer_user_id="jane@acme.example",
    created_from=datetime(2024, 3, 1, 8, 0),
    created_to=datetime(2024, 3, 31, 23, 59, 59),
    changed_from=datetime(2024, 4, 1),
    changed_to=datetime(2024, 4, 2),
    pending_from=datetime(2024, 5, 1),
    pending_to=datetime(2024, 5, 2, 12, 30),
    archived=False,
    watched_by=4,
    sort="priority",
    order="asc",
)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_database(db_url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("query", [FULL, TicketQuery(), TicketQuery(archived=True, text="x"), TicketQuery(sort="id")])
def test_a_saved_search_comes_back_as_it_was(engine: Engine, query: TicketQuery) -> None:
    with engine.begin() as conn:
        save_profile(conn, "jdoe", "Mine", query)
    with engine.connect() as conn:
        assert load_profile(conn, "jdoe", "Mine") == query


def test_rows_are_otrs_search_profile_rows(engine: Engine) -> None:
    query = TicketQuery(text="printer", queue_ids=(3, 4), created_from=datetime(2024, 3, 1, 8, 0), archived=True)
    with engine.begin() as conn:
        save_profile(conn, "jdoe", "Printers", query)
        rows = conn.execute(select(PROFILE).order_by(PROFILE.c.profile_key, PROFILE.c.profile_value)).all()
    assert [tuple(row) for row in rows] == [
        ("TicketSearch::jdoe", "Printers", "ARRAY", "ArchiveFlags", "y"),
        ("TicketSearch::jdoe", "Printers", "SCALAR", "Fulltext", "printer"),
        ("TicketSearch::jdoe", "Printers", "SCALAR", "OrderBy", "Down"),
        ("TicketSearch::jdoe", "Printers", "ARRAY", "QueueIDs", "3"),
        ("TicketSearch::jdoe", "Printers", "ARRAY", "QueueIDs", "4"),
        ("TicketSearch::jdoe", "Printers", "SCALAR", "SortBy", "Ticket"),
        ("TicketSearch::jdoe", "Printers", "SCALAR", "TicketCreateTimeNewerDate", "2024-03-01 08:00:00"),
    ]


def test_a_profile_written_by_otrs_loads(engine: Engine) -> None:
    rows = [
        ("SCALAR", "Fulltext", "toner"),
        ("ARRAY", "StateIDs", "1"),
        ("ARRAY", "StateIDs", "4"),
        ("ARRAY", "ArchiveFlags", "y"),
        ("ARRAY", "ArchiveFlags", "n"),  # both flags: no filter
        ("SCALAR", "ShownAttributes", "LabelFulltext"),  # OTRS form state: ignored
        ("SCALAR", "TimeSearchType", "TimeSlot"),
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(PROFILE),
            [
                {"login": "TicketSearch::JDoe", "profile_name": "OTRS", "profile_type": kind, "profile_key": key,
                 "profile_value": value}
                for kind, key, value in rows
            ],
        )  # fmt: skip
    with engine.connect() as conn:
        assert load_profile(conn, "jdoe", "OTRS") == TicketQuery(text="toner", state_ids=(1, 4))


def test_saving_again_replaces(engine: Engine) -> None:
    with engine.begin() as conn:
        save_profile(conn, "jdoe", "Mine", FULL)
        save_profile(conn, "jdoe", "Mine", TicketQuery(text="only this"))
    with engine.connect() as conn:
        assert load_profile(conn, "jdoe", "Mine") == TicketQuery(text="only this")


def test_each_agent_has_their_own_list(engine: Engine) -> None:
    with engine.begin() as conn:
        save_profile(conn, "jdoe", "b-second", TicketQuery(text="b"))
        save_profile(conn, "jdoe", "a-first", FULL)
        save_profile(conn, "other", "theirs", TicketQuery(text="c"))
    with engine.begin() as conn:
        assert list_profiles(conn, "jdoe") == ["a-first", "b-second"]
        assert list_profiles(conn, "JDOE") == ["a-first", "b-second"]  # OTRS compares logins ignoring case
        assert list_profiles(conn, "nobody") == []
        with pytest.raises(ProfileNotFound, match=r"^There is no saved search named 'theirs'\.$"):
            load_profile(conn, "jdoe", "theirs")
        assert delete_profile(conn, "jdoe", "a-first") is True
        assert delete_profile(conn, "jdoe", "a-first") is False
        assert list_profiles(conn, "jdoe") == ["b-second"]
        assert list_profiles(conn, "other") == ["theirs"]


@pytest.mark.parametrize(
    ("login", "name", "query", "message"),
    [
        ("jdoe", "", TicketQuery(), "name: give the saved search a name of 1 to 200 characters."),
        ("jdoe", "x" * 201, TicketQuery(), "name: give the saved search a name of 1 to 200 characters."),
        ("", "Mine", TicketQuery(), "login: give the agent's login (at most 186 characters)."),
        ("jdoe", "Mine", TicketQuery(text="x" * 201), f"text: {TOO_LONG}"),
        ("jdoe", "Mine", TicketQuery(title="t" * 201), f"title: {TOO_LONG}"),
    ],
)  # fmt: skip
def test_what_cannot_be_saved(engine: Engine, login: str, name: str, query: TicketQuery, message: str) -> None:
    with engine.begin() as conn:
        with pytest.raises(SearchInvalid) as caught:
            save_profile(conn, login, name, query)
        assert str(caught.value) == message
        assert conn.execute(select(PROFILE)).all() == []
