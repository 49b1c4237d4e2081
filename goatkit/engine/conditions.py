"""Lookup conditions (``lookup_condition`` in a spec): a tiny, safe grammar turned into SQLAlchemy expressions.

A spec may restrict a lookup's dropdown with text such as ``valid_id = 1`` or ``type_id IN (1, 2) AND name = 'x'``.
Only this grammar is accepted, so no spec text ever reaches the database as SQL::

    condition := term ("AND" term)*
    term      := column "=" literal | column "IN" "(" literal ("," literal)* ")"
    literal   := integer | 'single-quoted text' ('' inside for a quote)

Columns must exist in the lookup table; literals become bound parameters.  Anything else (OR, functions,
sub-selects, comparisons other than ``=``) raises :class:`ConditionError` naming what was found, so the registry
can refuse the module when it resolves the spec.

Example::

    parse_condition(queue_table, "valid_id = 1 AND group_id IN (1, 3)")
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Table, and_

_TOKEN = re.compile(r"\s*(?:(?P<num>-?\d+)|'(?P<str>(?:[^']|'')*)'|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[=(),]))")
HINT = "use column = literal or column IN (literals), joined by AND"


class ConditionError(ValueError):
    """A lookup condition outside the accepted grammar; the message says what was found and what is allowed."""


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos, text = 0, text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ConditionError(f"Lookup condition '{text}': unexpected '{text[pos:].strip()[:20]}'; {HINT}.")
        kind = match.lastgroup or ""
        value: Any = match.group(kind)
        if kind == "num":
            value = int(value)
        elif kind == "str":
            value = value.replace("''", "'")
        elif kind == "word":
            kind, value = ("kw", value.upper()) if value.upper() in {"AND", "IN"} else ("word", value)
        out.append((kind, value))
        pos = match.end()
    return out


def parse_condition(table: Table, text: str) -> ColumnElement[bool]:
    """``text`` as a boolean expression over ``table``'s columns; :class:`ConditionError` if it is not allowed."""
    tokens = _tokens(text)
    terms: list[ColumnElement[bool]] = []
    i = 0

    def expect(kinds: set[str], what: str) -> tuple[str, Any]:
        nonlocal i
        if i >= len(tokens) or (tokens[i][0] not in kinds and tokens[i][1] not in kinds):
            found = repr(tokens[i][1]) if i < len(tokens) else "the end"
            raise ConditionError(f"Lookup condition '{text}': expected {what}, found {found}; {HINT}.")
        i += 1
        return tokens[i - 1]

    while True:
        _, name = expect({"word"}, "a column")
        if name not in table.c:
            raise ConditionError(f"Lookup condition '{text}': table {table.name} has no column '{name}'.")
        col = table.c[name]
        _, op = expect({"=", "IN"}, "= or IN")
        if op == "=":
            terms.append(col == expect({"num", "str"}, "a literal")[1])
        else:
            expect({"("}, "(")
            values = [expect({"num", "str"}, "a literal")[1]]
            while expect({",", ")"}, ", or )")[1] == ",":
                values.append(expect({"num", "str"}, "a literal")[1])
            terms.append(col.in_(values))
        if i == len(tokens):
            return and_(*terms)
        expect({"AND"}, "AND")
