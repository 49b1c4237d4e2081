"""Search words and TicketQuery validation: pure functions, no database."""

from __future__ import annotations

import doctest
import importlib
from datetime import datetime
from typing import Any

import pytest
from pydantic import ValidationError

from modules.tickets.search_query import SearchInvalid, TicketQuery
from modules.tickets.search_text import Term, boolean_query, fts5_query, parse_text, tsquery


@pytest.mark.parametrize(
    "module",
    [
        "modules.tickets.search_text",
        "modules.tickets.search_query",
        "modules.tickets.search_filters",
        "modules.tickets.search_profiles",
        "modules.db.schema.gotrs_search",
    ],
)
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0


@pytest.mark.parametrize(
    ("text", "fts5", "ts", "boolean"),
    [
        ("printer", '"printer"*', "('printer' | '^printer')", "+printer*"),
        ("internationalisations", '"internationalisations"*', "'internationalisations':*", "+internationalisations*"),
        ("Printer jam", '"printer" "jam"*', "'printer' & ('jam' | '^jam')", "+printer +jam*"),
        ('"paper jam" now', '"paper jam" "now"*', "'paper' <-> 'jam' & ('now' | '^now')", '+"paper jam" +now*'),
        ('now "paper jam"', '"now" "paper jam"', "'now' & 'paper' <-> 'jam'", '+now +"paper jam"'),
        ("ab", '"ab"', "'ab'", ""),
        ("john.doe@exa", '"john doe exa"*', "'john' <-> 'doe' <-> ('exa' | '^exa')", "+john +doe +exa*"),
        ("Müller ÉCOLE", '"muller" "ecole"*', "'muller' & ('ecole' | '^ecole')", "+muller +ecole*"),
        ("NEAR(a b) AND c OR -d", '"near a" "b" "and" "c" "or" "d"', "'near' <-> 'a' & 'b' & 'and' & 'c' & 'or' & 'd'",
         '+near +and'),
        ("'; DROP TABLE ticket; --", '"drop" "table" "ticket"*', "'drop' & 'table' & ('ticket' | '^ticket')",
         "+drop +table +ticket*"),
        ('x"y', '"x y"', "'x' <-> 'y'", ""),
        ("a:* | b & !c", '"a" "b" "c"', "'a' & 'b' & 'c'", ""),
        ("foo_bar", '"foo bar"*', "'foo' <-> ('bar' | '^bar')", "+foo +bar*"),
        ("jam jam JAM", '"jam"*', "('jam' | '^jam')", "+jam*"),
    ],
)  # fmt: skip
def test_words_become_each_backends_syntax(text: str, fts5: str, ts: str, boolean: str) -> None:
    terms = parse_text(text)
    assert (fts5_query(terms), tsquery(terms), boolean_query(terms)) == (fts5, ts, boolean)


@pytest.mark.parametrize("text", ['"', "*", "-", ":", "()", '""', "'", "\\", "%_", "  ", "&|!<->"])
def test_text_without_letters_or_digits_has_no_terms(text: str) -> None:
    assert parse_text(text) == ()
    assert TicketQuery(text=text).terms == ()


def test_an_unbalanced_quote_is_ignored() -> None:
    assert parse_text('"paper jam') == (Term(("paper",)), Term(("jam",), prefix=True))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"text": "x" * 501}, "text", "use at most 500 characters."),
        ({"text": " ".join(f"w{n}" for n in range(21))}, "text", "use at most 20 different words."),
        ({"text": 5}, "text", "give the words to search for as text."),
        ({"queue_ids": ["x"]}, "queue_ids", "'x' is not an id (ids are whole numbers above 0)."),
        ({"state_ids": [0]}, "state_ids", "0 is not an id (ids are whole numbers above 0)."),
        ({"owner_ids": [True]}, "owner_ids", "True is not an id (ids are whole numbers above 0)."),
        ({"sla_ids": list(range(1, 1002))}, "sla_ids", "give at most 1000 values."),
        ({"watched_by": -3}, "watched_by", "-3 is not an id (ids are whole numbers above 0)."),
        ({"state_type": [""]}, "state_type", "give state type names, such as 'open' or 'pending reminder'."),
        ({"tn": "1" * 51}, "tn", "use at most 50 characters."),
        ({"title": ["a"]}, "title", "give text."),
        ({"created_from": "yesterday"}, "created_from",
         "'yesterday' is not a date or time (use 2024-03-15 or 2024-03-15T10:30)."),
        ({"pending_to": 12}, "pending_to", "give a date or time, such as 2024-03-15 or 2024-03-15T10:30."),
        ({"changed_from": "2024-03-02", "changed_to": "2024-03-01T10:00"}, "changed_to",
         "must not be before changed_from."),
        ({"archived": "maybe"}, "archived",
         "give true (archived tickets only), false (not archived) or nothing (both)."),
        ({"sort": "title"}, "sort", "choose 'id', 'create_time', 'change_time' or 'priority'."),
        ({"order": "up"}, "order", "choose 'desc' or 'asc'."),
        ({"queue": [1]}, "queue", "is not a search field."),
    ],
)  # fmt: skip
def test_bad_input_names_the_field(data: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(SearchInvalid) as caught:
        TicketQuery.parse(data)
    assert (caught.value.field, caught.value.message, str(caught.value)) == (field, message, f"{field}: {message}")
    with pytest.raises(ValidationError, match=field):  # the model itself raises pydantic's ValueError
        TicketQuery(**data)


def test_values_are_normalised() -> None:
    query = TicketQuery.parse(
        {
            "text": "  printer  ",
            "tn": " ",
            "queue_ids": ["4", 3, 4],
            "state_type": "open",
            "lock_ids": [],
            "created_to": "2024-03-05",
            "changed_from": "2024-03-01T10:00:00+02:00",
            "archived": "N",
            "watched_by": "7",
        }
    )
    assert query.model_dump(exclude_defaults=True) == {
        "text": "printer",
        "queue_ids": (3, 4),
        "state_type": ("open",),
        "created_to": datetime(2024, 3, 5, 23, 59, 59),
        "changed_from": datetime(2024, 3, 1, 8, 0),
        "archived": False,
        "watched_by": 7,
    }


def test_queries_are_immutable_and_hashable() -> None:
    query = TicketQuery(queue_ids=(1,))
    with pytest.raises(ValidationError):
        query.text = "x"  # type: ignore[misc]
    assert {query, TicketQuery(queue_ids=[1])} == {query}
