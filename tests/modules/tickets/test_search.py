"""search_tickets: every filter, the OTRS read permission, keyset paging and its cursors, on SQLite and PostgreSQL.

One database per backend for the module (the searches only read it), built by :func:`desk`.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine, event

from modules.db.schema.gotrs_search import search_tables
from modules.permissions.options import PermissionOptions
from modules.tickets import search
from modules.tickets import search_match as match
from modules.tickets.search import SearchPage, search_tickets
from modules.tickets.search_query import SearchInvalid, TicketQuery
from tests.modules.permissions.world import ROOT
from tests.modules.tickets.search_world import CLOSED_STATE, OPEN_STATE, SearchWorld, at, shared_database
from tests.modules.tickets.ticket_world import counting

PENDING_REMINDER = 6
KEY = b"test signing key"


@dataclass
class Desk:
    """The module's data: tickets by letter, agents and queues by name."""

    engine: Engine
    tickets: dict[str, int] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def search(self, agent: str = "root", **filters: Any) -> SearchPage:
        page_size = filters.pop("page_size", 50)
        cursor = filters.pop("cursor", None)
        options = filters.pop("options", None)
        filters.setdefault("queue_ids", [self.ids["q1"], self.ids["q2"]])
        with self.engine.connect() as conn:
            return search_tickets(
                conn,
                TicketQuery.parse(filters),
                agent_id=self.ids[agent],
                page_size=page_size,
                cursor=cursor,
                signing_key=KEY,
                options=options,
            )

    def found(self, agent: str = "root", **filters: Any) -> set[str]:
        names = {ticket_id: name for name, ticket_id in self.tickets.items()}
        return {names.get(hit.id, f"#{hit.id}") for hit in self.search(agent, **filters).rows}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    with shared_database(request.param, tmp_path_factory.mktemp("search")) as engine:
        yield build_desk(engine)


def build_desk(engine: Engine) -> Desk:
    w, desk = SearchWorld(engine), Desk(engine)
    g1, g2, g3 = w.group("search-g1"), w.group("search-g2"), w.group("search-g3")
    q1, q2, q3 = w.queue("Search 1", g1), w.queue("Search 2", g2), w.queue("Search paging", g3)
    alice, bob, dave = w.agent("alice"), w.agent("bob"), w.agent("dave", valid=False)
    w.grant(alice, g1, "ro")
    w.grant(dave, g1, "rw")
    for group in (g1, g2, g3):
        w.grant(ROOT, group, "ro")  # root reads every queue: the search needs no permission condition
    s1, s2 = w._insert("service", name="Printing", valid_id=1), w._insert("service", name="Network", valid_id=1)
    sla = w._insert("sla", name="Gold", first_response_time=60, update_time=0, solution_time=0, valid_id=1)
    desk.ids.update(root=ROOT, alice=alice, bob=bob, dave=dave, q1=q1, q2=q2, q3=q3, s1=s1, s2=s2, sla=sla)
    t = desk.tickets
    t["a"] = w.indexed_ticket(
        q1, title="Printer broken on floor 3", type_id=1, service_id=s1, sla_id=sla,
        customer_id="ACME", customer_user_id="jane@acme.example", create_time=at(1), change_time=at(2),
    )  # fmt: skip
    w.indexed_article(
        t["a"], subject="Paper jam", body="The printer in room 12 jams", a_from="Jane Roe <jane@acme.example>"
    )
    t["b"] = w.indexed_ticket(
        q2, title="Laptop screen flickers", ticket_state_id=OPEN_STATE, ticket_priority_id=5, ticket_lock_id=2,
        user_id=alice, customer_id="Globex", customer_user_id="homer", create_time=at(3), change_time=at(10),
        archive_flag=1,
    )  # fmt: skip
    t["c"] = w.indexed_ticket(
        q1, title="Toner for the printer", ticket_state_id=PENDING_REMINDER, ticket_priority_id=1,
        until_time=calendar.timegm(at(20).timetuple()), user_id=bob, responsible_user_id=alice,
        customer_id="ACME", customer_user_id="wile", create_time=at(5), change_time=at(6),
    )  # fmt: skip
    t["d"] = w.indexed_ticket(
        q2, title="Mail server down", ticket_state_id=CLOSED_STATE, responsible_user_id=bob,
        create_time=at(7), change_time=at(8),
    )  # fmt: skip
    w.watch(t["d"], bob)
    t["e"] = w.indexed_ticket(
        q2, title="VPN access", ticket_state_id=OPEN_STATE, service_id=s2, customer_id="acme-labs",
        create_time=at(9), change_time=at(9),
    )  # fmt: skip
    for n in range(7):  # ties: one create time, priorities 3 3 3 3 2 2 2
        t[f"p{n}"] = w.indexed_ticket(q3, title=f"Paging {n}", ticket_priority_id=3 if n < 4 else 2, create_time=at(12))
    return desk


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"a", "b", "c", "d", "e"}),
        ({"queue_ids": []}, {"a", "b", "c", "d", "e", "p0", "p1", "p2", "p3", "p4", "p5", "p6", "#1"}),
        ({"queue_ids": "{q1}"}, {"a", "c"}),
        ({"state_ids": [4]}, {"b", "e"}),
        ({"state_type": ["open"]}, {"b", "e"}),
        ({"state_type": ["pending reminder", "closed"]}, {"c", "d"}),
        ({"state_type": "new"}, {"a"}),
        ({"lock_ids": [2]}, {"b"}),
        ({"priority_ids": [1, 5]}, {"b", "c"}),
        ({"type_ids": [1]}, {"a"}),
        ({"service_ids": ["{s1}"]}, {"a"}),
        ({"service_ids": ["{s1}", "{s2}"]}, {"a", "e"}),
        ({"sla_ids": ["{sla}"]}, {"a"}),
        ({"owner_ids": ["{alice}"]}, {"b"}),
        ({"responsible_ids": ["{alice}", "{bob}"]}, {"c", "d"}),
        ({"customer_id": "ACME"}, {"a", "c"}),
        ({"customer_id": "acme*"}, {"a", "c", "e"}),
        ({"customer_user_id": "homer"}, {"b"}),
        ({"customer_user_id": "*@acme.example"}, {"a"}),
        ({"tn": "2024031510000003"}, {"c"}),
        ({"tn": "202403151000000*"}, {"a", "b", "c", "d", "e"}),
        ({"title": "mail SERVER down"}, {"d"}),
        ({"title": "*printer*"}, {"a", "c"}),
        ({"title": "50%_off*"}, set()),
        ({"created_from": "2024-03-03T12:00:00", "created_to": "2024-03-07T12:00:00"}, {"b", "c", "d"}),
        ({"created_to": "2024-03-05"}, {"a", "b", "c"}),
        ({"changed_from": "2024-03-09"}, {"b", "e"}),
        ({"pending_from": "2024-03-19", "pending_to": "2024-03-21"}, {"c"}),
        ({"pending_to": "2024-03-30"}, {"c"}),
        ({"pending_from": "2024-03-21"}, set()),
        ({"archived": True}, {"b"}),
        ({"archived": "n"}, {"a", "c", "d", "e"}),
        ({"watched_by": "{bob}"}, {"d"}),
        ({"text": "printer"}, {"a", "c"}),
        ({"text": "printer", "state_type": ["open"]}, set()),
        ({"text": "jams room"}, {"a"}),
        ({"text": "jane@acme.example", "customer_id": "ACME"}, {"a"}),
    ],
)
def test_filters(desk: Desk, filters: dict[str, Any], expected: set[str]) -> None:
    resolved = {key: _resolve(desk, value) for key, value in filters.items()}
    assert desk.found(**resolved) == expected


def _resolve(desk: Desk, value: Any) -> Any:
    if isinstance(value, str) and value.startswith("{"):
        return desk.ids[value.strip("{}")]
    if isinstance(value, list):
        return [_resolve(desk, item) for item in value]
    return value


def test_unknown_state_type_names_the_known_ones(desk: Desk) -> None:
    with pytest.raises(SearchInvalid) as caught:
        desk.search(state_type=["opened"])
    assert caught.value.field == "state_type"
    assert str(caught.value) == (
        "state_type: unknown state type 'opened'; the state types are closed, merged, new, open, "
        "pending auto, pending reminder, removed."
    )


@pytest.mark.parametrize(
    ("agent", "options", "expected"),
    [
        ("alice", None, {"a", "b", "c"}),  # queue 1 by group, b as owner, c as responsible
        ("bob", None, {"c", "d"}),  # c as owner, d as responsible and watcher
        ("bob", PermissionOptions(ticket_responsible=False), {"c", "d"}),  # still the watcher of d
        ("bob", PermissionOptions(ticket_responsible=False, ticket_watcher=False), {"c"}),
        ("dave", None, set()),  # an invalid agent reads nothing, even with rw on queue 1
    ],
)
def test_only_tickets_the_agent_may_read(
    desk: Desk, agent: str, options: PermissionOptions | None, expected: set[str]
) -> None:
    assert desk.found(agent, queue_ids=[], options=options) == expected


def test_permission_applies_to_text_matches(desk: Desk) -> None:
    assert desk.found("alice", queue_ids=[], text="mail server") == set()
    assert desk.found("bob", queue_ids=[], text="mail server") == {"d"}
    assert desk.found("alice", queue_ids=[], text="printer") == {"a", "c"}


def test_hits_carry_the_ticket_columns(desk: Desk) -> None:
    (hit,) = desk.search(title="Toner for the printer").rows
    assert (hit.id, hit.title, hit.state_id, hit.priority_id, hit.owner_id) == (
        desk.tickets["c"], "Toner for the printer", PENDING_REMINDER, 1, desk.ids["bob"],
    )  # fmt: skip
    assert (hit.customer_id, hit.pending_until, hit.archived, hit.create_time) == (
        "ACME", calendar.timegm(at(20).timetuple()), False, at(5),
    )  # fmt: skip


def pages(desk: Desk, page_size: int, **filters: Any) -> list[list[str]]:
    names = {ticket_id: name for name, ticket_id in desk.tickets.items()}
    result, cursor = [], None
    while True:
        page = desk.search(page_size=page_size, cursor=cursor, **filters)
        result.append([names[hit.id] for hit in page.rows])
        cursor = page.next_cursor
        if cursor is None:
            return result


@pytest.mark.parametrize(
    ("sort", "order", "expected"),
    [
        ("id", "desc", [["p6", "p5", "p4"], ["p3", "p2", "p1"], ["p0"]]),
        ("id", "asc", [["p0", "p1", "p2"], ["p3", "p4", "p5"], ["p6"]]),
        ("create_time", "desc", [["p6", "p5", "p4"], ["p3", "p2", "p1"], ["p0"]]),
        ("create_time", "asc", [["p0", "p1", "p2"], ["p3", "p4", "p5"], ["p6"]]),
        ("priority", "desc", [["p3", "p2", "p1"], ["p0", "p6", "p5"], ["p4"]]),
        ("priority", "asc", [["p4", "p5", "p6"], ["p0", "p1", "p2"], ["p3"]]),
        ("change_time", "desc", [["p6", "p5", "p4"], ["p3", "p2", "p1"], ["p0"]]),
    ],
)
def test_keyset_pages_over_ties(desk: Desk, sort: str, order: str, expected: list[list[str]]) -> None:
    assert pages(desk, 3, queue_ids=[desk.ids["q3"]], sort=sort, order=order) == expected


def test_keyset_pages_with_text_and_the_total_on_every_page(desk: Desk) -> None:
    first = desk.search(page_size=1, text="printer")
    second = desk.search(page_size=1, text="printer", cursor=first.next_cursor)
    assert [first.total, second.total, first.total_capped] == [2, 2, False]
    assert [hit.id for hit in first.rows + second.rows] == [desk.tickets["c"], desk.tickets["a"]]
    assert second.next_cursor is None


def test_the_count_is_capped(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    page = desk.search(page_size=2, queue_ids=[desk.ids["q3"]])
    assert (page.total, page.total_capped, len(page.rows)) == (3, True, 2)


def test_collected_words_are_read_once_for_the_page_and_its_count(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    article_index = search_tables(desk.engine.dialect.name).article.name
    event.listen(desk.engine, "before_cursor_execute", record)
    try:
        page = desk.search(page_size=1, text="printer")
        monkeypatch.setattr(search, "COUNT_CAP", 1)
        capped = desk.search(page_size=1, text="printer")
    finally:
        event.remove(desk.engine, "before_cursor_execute", record)
    assert (page.total, page.total_capped, capped.total, capped.total_capped) == (2, False, 1, True)
    planning = ("EXPLAIN", "SELECT coalesce(sum(greatest(reltuples")  # PostgreSQL's choice of plan, not reads
    reads = [s for s in seen if article_index in s and not s.lstrip().startswith(planning)]
    assert len(reads) == 2, reads  # one statement per search: the page counts its matches in passing
    if desk.engine.dialect.name == "postgresql":  # with room for GIN's bitmaps, set and reset around it
        assert [s for s in seen if "work_mem" in s] == [
            f"SET work_mem = '{search.SEARCH_WORK_MEM}'",
            "RESET work_mem",
        ] * 2


def test_a_cursor_belongs_to_its_search_and_agent(desk: Desk) -> None:
    cursor = desk.search(page_size=2, queue_ids=[desk.ids["q3"]]).next_cursor
    assert cursor is not None
    message = "cursor: this page link is invalid or belongs to another search; search again."
    for agent, filters in [
        ("root", {"queue_ids": [desk.ids["q3"]], "sort": "priority"}),  # another query
        ("alice", {"queue_ids": [desk.ids["q3"]]}),  # another agent
        ("root", {"queue_ids": [desk.ids["q3"]], "cursor_override": cursor[:-2] + "AA"}),  # forged signature
        ("root", {"queue_ids": [desk.ids["q3"]], "cursor_override": "not a cursor"}),
    ]:
        token = filters.pop("cursor_override", cursor)
        with pytest.raises(SearchInvalid) as caught:
            desk.search(agent, cursor=token, page_size=2, **filters)
        assert (caught.value.field, str(caught.value)) == ("cursor", message)


@pytest.mark.parametrize("page_size", [0, 501, True, "10"])
def test_page_size_is_checked(desk: Desk, page_size: Any) -> None:
    with pytest.raises(SearchInvalid, match=r"^page_size: use a number from 1 to 500\.$"):
        desk.search(page_size=page_size)


@pytest.mark.parametrize(
    "filters",
    [
        {"text": "printer"},
        {"text": "prin", "sort": "priority", "order": "asc"},
        {"text": "jams room", "queue_ids": []},
        {"text": "mail server", "state_type": ["closed"]},
        {"text": "paging", "queue_ids": "{q3}", "sort": "create_time"},
        {"text": "nothing here"},
    ],
)
def test_walking_finds_what_collecting_finds(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, filters: dict[str, Any]
) -> None:
    resolved = {key: _resolve(desk, value) for key, value in filters.items()}
    collected = pages(desk, 2, **resolved)
    monkeypatch.setattr(match, "choose", lambda *_args: "walk")  # what PostgreSQL does for common words
    assert pages(desk, 2, **resolved) == collected


@pytest.mark.parametrize("budget", [match.WALK_BUDGET, 3, 1])
@pytest.mark.parametrize(
    "filters",
    [
        {"text": "printer"},
        {"text": "prin", "sort": "priority", "order": "asc"},
        {"text": "paging", "queue_ids": "{q3}", "sort": "create_time"},
        {"text": "paging", "queue_ids": "{q3}", "sort": "priority", "order": "desc"},
        {"text": "nothing here"},
    ],
)
def test_a_tried_walk_finds_what_collecting_finds_whatever_its_budget(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, filters: dict[str, Any], budget: int
) -> None:
    resolved = {key: _resolve(desk, value) for key, value in filters.items()}
    collected = pages(desk, 2, **resolved)
    monkeypatch.setattr(match, "choose", lambda *_args: "try")  # two words common alone, rare together?
    monkeypatch.setattr(match, "WALK_BUDGET", budget)  # 3 and 1: the walk gives up, the page is collected
    assert pages(desk, 2, **resolved) == collected


def test_a_tried_walk_collects_only_when_its_budget_runs_out(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(match, "choose", lambda *_args: "try")
    query = {"queue_ids": [desk.ids["q3"]], "text": "paging", "page_size": 2}
    for budget, collects in ((match.WALK_BUDGET, False), (2, True)):
        monkeypatch.setattr(match, "WALK_BUDGET", budget)
        with counting(desk.engine) as statements:
            page = desk.search(**query)
        assert [hit.id for hit in page.rows] == [desk.tickets["p6"], desk.tickets["p5"]]
        reads = [s for s in statements if s.startswith("SELECT anon_1.id")]  # a page, not its count or estimate
        walks = [s for s in reads if "EXISTS" in s]
        collections = [s for s in reads if "count(*) OVER" in s]
        assert (len(walks), bool(collections)) == (1, collects), statements


def _reads(statements: list[str]) -> tuple[int, int]:
    """(walks, collections) among the page statements (not counts or estimates)."""
    reads = [s for s in statements if s.startswith("SELECT anon_1.id")]
    return len([s for s in reads if "EXISTS" in s]), len([s for s in reads if "count(*) OVER" in s])


def test_a_walk_gives_up_after_its_limit_and_collects_the_page(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    query = {"queue_ids": [desk.ids["q3"]], "text": "paging", "page_size": 5}
    collected = desk.search(**query)
    monkeypatch.setattr(match, "choose", lambda *_args: "walk")  # the planner thinks the word common
    monkeypatch.setattr(match, "WALK_LIMIT", 2)  # ... and it is rarer than that: 2 tickets tested fill no page
    with counting(desk.engine) as statements:
        page = desk.search(**query)
    assert [hit.id for hit in page.rows] == [hit.id for hit in collected.rows]
    assert (page.total, page.total_estimated) == (collected.total, False) == (7, False)
    assert _reads(statements) == (1, 1), statements


def test_a_walk_for_a_word_in_no_document_stops_at_its_limit(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(match, "choose", lambda *_args: "walk")  # PostgreSQL's guess for a word it never saw
    monkeypatch.setattr(match, "WALK_LIMIT", 3)
    with counting(desk.engine) as statements:
        page = desk.search(text="zyxwvut")
    assert (page.rows, page.total, page.next_cursor) == ((), 0, None)
    assert _reads(statements) == (1, 1), statements  # 3 tickets tested, then the (empty) collection


def test_a_walk_that_tested_every_candidate_has_the_whole_answer(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(match, "choose", lambda *_args: "walk")
    with counting(desk.engine) as statements:
        page = desk.search(queue_ids=[desk.ids["q3"]], text="paging", page_size=10)
    names = {ticket_id: name for name, ticket_id in desk.tickets.items()}
    assert [names[hit.id] for hit in page.rows] == [f"p{n}" for n in range(6, -1, -1)]
    assert (page.total, page.total_estimated, page.next_cursor) == (7, False, None)
    assert _reads(statements) == (1, 0), statements  # no collection, no count: the walk saw every ticket of q3


def test_walking_estimates_the_total_on_postgresql(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(match, "choose", lambda *_args: "walk")
    full = desk.search(page_size=2, queue_ids=[desk.ids["q3"]], text="paging")
    short = desk.search(page_size=10, queue_ids=[desk.ids["q3"]], text="paging")
    later = desk.search(page_size=2, queue_ids=[desk.ids["q3"]], text="paging", cursor=full.next_cursor)
    assert (short.total, short.total_capped, short.total_estimated) == (7, False, False)  # the page said it all
    assert (later.total, later.total_estimated) == (full.total, full.total_estimated)  # carried by the cursor
    if desk.engine.dialect.name == "postgresql":
        assert full.total_estimated and full.total >= 3 and not full.total_capped
    else:
        assert (full.total, full.total_estimated) == (7, False)  # SQLite has no planner estimate: counted


def test_postgresql_walks_only_for_common_words(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    with desk.engine.connect() as conn:
        tables = search_tables(conn.dialect.name)
        monkeypatch.setattr(match, "unknown_documents", lambda *_args: 0.0)  # no estimate is a mere guess here
        rare = match.choose(conn, tables, TicketQuery(text="toner").terms)
        monkeypatch.setattr(match, "WALK_MIN_DOCUMENTS", 1)
        common = match.choose(conn, tables, TicketQuery(text="paging").terms)
    expected = ("collect", "walk") if conn.dialect.name == "postgresql" else ("collect", "collect")
    assert (rare, common) == expected


def test_postgresql_tries_a_walk_for_words_common_alone_but_not_expected_together(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    terms = TicketQuery(text="printer jams").terms
    with desk.engine.connect() as conn:
        tables = search_tables(conn.dialect.name)
        if conn.dialect.name != "postgresql":
            assert match.choose(conn, tables, terms) == "collect"
            return
        alone = min(match.expected_documents(conn, tables, (term,)) for term in terms)
        together = match.expected_documents(conn, tables, terms)
        assert together < alone  # the planner multiplies the words' frequencies
        monkeypatch.setattr(match, "unknown_documents", lambda *_args: 0.0)  # estimates decide, none is a guess
        monkeypatch.setattr(match, "WALK_FACTOR", 0.0)
        monkeypatch.setattr(match, "WALK_MIN_DOCUMENTS", (alone + together) / 2)
        assert match.choose(conn, tables, terms) == "try"
        assert match.choose(conn, tables, terms[:1]) == "walk"  # one word: its own estimate decides
        monkeypatch.setattr(match, "WALK_MIN_DOCUMENTS", alone + 1)
        assert match.choose(conn, tables, terms) == "collect"


def test_postgresql_probes_words_it_only_guesses_common(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ticket number, a word in no document, a misspelling: the planner guesses them as common as its rarest
    known word; they are probed instead of walked."""
    monkeypatch.setattr(match, "WALK_FACTOR", 0.0)
    monkeypatch.setattr(match, "WALK_MIN_DOCUMENTS", 1)  # every estimate is "common" here
    absent = TicketQuery(text="zyxwvq").terms
    with desk.engine.connect() as conn:
        tables = search_tables(conn.dialect.name)
        if conn.dialect.name != "postgresql":
            assert match.choose(conn, tables, absent) == "collect"
            return
        expected = match.expected_documents(conn, tables, absent)
        assert match.guessed(conn, tables, expected)  # a word in no document is estimated at the guess
        assert match.choose(conn, tables, absent) == "probe"
        monkeypatch.setattr(match, "unknown_documents", lambda *_args: expected / 2)  # as if the planner knew it
        assert (match.guessed(conn, tables, expected), match.choose(conn, tables, absent)) == (False, "walk")


def test_a_probe_that_finds_nothing_collects(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(match, "choose", lambda *_args: "probe")
    monkeypatch.setattr(match, "PROBE_BUDGET", 3)
    with counting(desk.engine) as statements:
        page = desk.search(text="zyxwvq")
    assert (page.rows, page.total, page.total_estimated) == ((), 0, False)
    assert _reads(statements) == (1, 1), statements  # 3 tickets tested, then the (empty) collection


@pytest.mark.parametrize(("budget", "walks"), [(3, 2), (2, 2), (50, 1)])
def test_a_probe_that_finds_some_walks_on(desk: Desk, monkeypatch: pytest.MonkeyPatch, budget: int, walks: int) -> None:
    query = {"queue_ids": [desk.ids["q3"]], "text": "paging"}
    collected = pages(desk, 4, **query)
    monkeypatch.setattr(match, "choose", lambda *_args: "probe")
    monkeypatch.setattr(match, "PROBE_BUDGET", budget)  # 3 and 2: matches found, page not full; 50: page full
    with counting(desk.engine) as statements:
        first = desk.search(page_size=4, **query)
    assert _reads(statements) == (walks, 0), statements  # never collected
    assert first.next_cursor is not None and first.total_estimated == (desk.engine.dialect.name == "postgresql")
    assert pages(desk, 4, **query) == collected  # the later pages walk, as the cursor says


def test_a_probe_that_walks_on_through_every_candidate_counts_exactly(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(match, "choose", lambda *_args: "probe")
    monkeypatch.setattr(match, "PROBE_BUDGET", 3)  # 3 of q3's 7 tickets, then the walk goes on after the third
    with counting(desk.engine) as statements:
        page = desk.search(queue_ids=[desk.ids["q3"]], text="paging", page_size=10)
    names = {ticket_id: name for name, ticket_id in desk.tickets.items()}
    assert [names[hit.id] for hit in page.rows] == [f"p{n}" for n in range(6, -1, -1)]  # none twice, none missed
    assert (page.total, page.total_estimated, page.next_cursor) == (7, False, None)
    assert _reads(statements) == (2, 0), statements
