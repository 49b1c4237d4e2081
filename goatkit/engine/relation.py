"""The relation kind of module: a matrix of two tables linked by the rows of a third (docs/MODULES-RELATIONS.md).

A relation module's ``relation:`` key names a left and a right side (a table, its key and display columns), the two
columns of the relation table (``module.table``) that hold their keys, and optionally per-key grants (one row per
granted key, OTRS's ``group_user``/``group_role``), fixed column values, and constraints.  The registry resolves it
into a :class:`Relation` (``resolve.py``); this module reads and saves one item's row of the matrix.

* Reading an item's grants is one query on the relation table (:func:`read_grants`); the labels of a page of the
  other side are one more (:func:`side_page`), the item's own label another (:func:`item_label`).
* Saving is a diff in the caller's transaction (:func:`save_grants`): one ``DELETE`` per distinct set of revoked
  keys, one batched ``INSERT`` for every new grant (with the audit columns), and nothing for unchanged rows.

Example::

    relation = registry.get("agent_groups").relation
    with engine.begin() as conn:
        read_grants(conn, relation, relation.left, 2)              # {1: frozenset({'rw'}), 3: frozenset({'ro'})}
        save_grants(conn, relation, relation.left, 2, {3: {"ro", "note"}}, replace_all=False, user_id=1)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Integer,
    Table,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
)

from goatkit.engine.conditions import parse_condition
from goatkit.engine.cursor import CursorError, decode_cursor, encode_cursor, pack_value, unpack_value

Col = Column[Any]
#: The one key of a relation without per-key permissions (``role_user``, ``queue_standard_template``...).
ASSIGNED = "assigned"
AUDIT_COLUMNS = ("create_time", "create_by", "change_time", "change_by")
DEFAULT_PAGE_SIZE = 50


class RelationError(Exception):
    """A request the relation cannot serve: ``status`` 400 (malformed), 404 (unknown item), 409 or 422."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Side:
    """One side of a relation: its items are rows of ``table`` (plus ``extra``), linked through ``link``."""

    name: str  # "left" or "right"
    table: Table
    key: Col
    display: Col
    link: Col  # the column of the relation table that holds this side's key
    label: str
    plural: str
    condition: str = ""
    search: tuple[Col, ...] = ()
    extra: tuple[tuple[Any, str], ...] = ()

    def parse_key(self, raw: Any) -> Any:
        """An id from a request as this side's key type; 400 naming it when it cannot be one."""
        text = str(raw).strip()
        if not isinstance(self.key.type, Integer):
            if not text:
                raise RelationError(400, f"The {self.label.lower()} id must not be empty.")
            return text
        try:
            return int(text)
        except ValueError:
            raise RelationError(400, f"The {self.label.lower()} id must be a whole number, not '{raw}'.") from None

    def where(self) -> list[ColumnElement[bool]]:
        """The condition that selects the items the screens list (``condition`` in the spec)."""
        return [parse_condition(self.table, self.condition)] if self.condition else []


@dataclass(frozen=True)
class Relation:
    """A resolved ``relation:`` spec: both sides, the relation table and how a grant is stored."""

    table: Table
    left: Side
    right: Side
    key_column: Col | None = None  # permission_key; None: a row is the grant
    keys: tuple[str, ...] = (ASSIGNED,)
    value_column: Col | None = None  # permission_value: rows count when it is 1
    implied_by: str = ""  # rw: granting it stores it alone
    fixed: tuple[tuple[Col, Any], ...] = ()
    one_per: tuple[tuple[Col, str], ...] = ()  # (column of the right table, message)

    def side(self, name: str) -> Side:
        """``left`` or ``right``; 404 for anything else."""
        if name == "left":
            return self.left
        if name == "right":
            return self.right
        raise RelationError(404, f"A relation has the sides 'left' and 'right', not '{name}'.")

    def other(self, side: Side) -> Side:
        return self.right if side is self.left else self.left

    def normalise(self, keys: Iterable[str]) -> frozenset[str]:
        """The keys as stored: only the implying key when it is among them (OTRS stores ``rw`` alone)."""
        wanted = frozenset(keys)
        return frozenset({self.implied_by}) if self.implied_by and self.implied_by in wanted else wanted


@dataclass(frozen=True)
class SidePage:
    """A page of one side's items, ``(key, label)`` ordered by label, and the cursor of the next page."""

    items: list[tuple[Any, str]]
    next_cursor: str | None


@dataclass(frozen=True)
class Change:
    """What a save did: grants added and removed, as ``(other key, permission key)`` pairs."""

    added: tuple[tuple[Any, str], ...] = ()
    removed: tuple[tuple[Any, str], ...] = ()


# ---------------------------------------------------------------------------------------------------------- items


def item_label(conn: Connection, side: Side, key: Any) -> str | None:
    """The label of one item (an extra item costs no query); ``None`` when it does not exist."""
    for extra_key, label in side.extra:
        if str(extra_key) == str(key):
            return label
    found = conn.execute(select(side.display).where(side.key == key)).first()
    return None if found is None else str(found[0])


def labels(conn: Connection, side: Side, keys: Iterable[Any]) -> dict[Any, str]:
    """The labels of ``keys`` that exist, in one query; missing keys are simply absent."""
    wanted = set(keys)
    found = {k: label for k, label in side.extra if k in wanted}
    rest = wanted - set(found)
    if rest:
        rows = conn.execute(select(side.key, side.display).where(side.key.in_(sorted(rest, key=str))))
        found.update((key, str(label)) for key, label in rows)
    return found


def side_page(
    conn: Connection,
    module: str,
    side: Side,
    *,
    signing_key: bytes,
    search: str = "",
    cursor: str = "",
    size: int = DEFAULT_PAGE_SIZE,
) -> SidePage:
    """One page of ``side``'s items matching ``search``, ordered by label then key (keyset paging: any depth costs
    what the first page costs).  Extra items open the first page.  A bad cursor is a 400.
    """
    order = func.coalesce(side.display, "") if side.display.nullable else side.display
    stmt = select(side.key, side.display).where(*side.where())
    if search:
        stmt = stmt.where(or_(*(_contains(col, search) for col in side.search or (side.display,))))
    first = not cursor
    if cursor:
        value, key = _open_cursor(signing_key, module, side, search, cursor)
        stmt = stmt.where(tuple_(order, side.key) > tuple_(value, key))
    rows = conn.execute(stmt.order_by(order, side.key).limit(size + 1)).all()
    items = [(key, "" if label is None else str(label)) for key, label in rows[:size]]
    next_cursor = None
    if len(rows) > size:
        payload = {"m": module, "s": side.name, "q": search, "v": pack_value(items[-1][1]), "k": items[-1][0]}
        next_cursor = encode_cursor(signing_key, payload)
    if first:
        needle = search.casefold()
        items = [item for item in side.extra if needle in item[1].casefold()] + items
    return SidePage(items, next_cursor)


def _contains(col: Col, text: str) -> ColumnElement[bool]:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return col.ilike("%" + escaped + "%", escape="\\")


def _open_cursor(signing_key: bytes, module: str, side: Side, search: str, token: str) -> tuple[Any, Any]:
    try:
        payload = decode_cursor(signing_key, token)
        if (payload.get("m"), payload.get("s"), payload.get("q")) != (module, side.name, search):
            raise CursorError("cursor is for another list")
        return unpack_value(payload["v"]), payload["k"]
    except (CursorError, KeyError, ValueError):
        raise RelationError(400, "This page link is invalid or out of date; start again from the first page.") from None


# --------------------------------------------------------------------------------------------------------- grants


def read_grants(conn: Connection, relation: Relation, side: Side, item: Any) -> dict[Any, frozenset[str]]:
    """The grants of one item: other side's key -> the keys granted (one query on the relation table)."""
    granted, _stale = _current(conn, relation, side, item)
    return granted


def _current(
    conn: Connection, relation: Relation, side: Side, item: Any
) -> tuple[dict[Any, frozenset[str]], dict[Any, frozenset[str]]]:
    """Granted keys per other item, and the stale ones (rows whose permission value is not 1)."""
    other = relation.other(side)
    columns = [other.link]
    columns += [c for c in (relation.key_column, relation.value_column) if c is not None]
    stmt = select(*columns).where(side.link == item, *_fixed(relation))
    granted: dict[Any, set[str]] = {}
    stale: dict[Any, set[str]] = {}
    for row in conn.execute(stmt):
        key = str(row[1]) if relation.key_column is not None else ASSIGNED
        counts = relation.value_column is None or row[-1] == 1
        (granted if counts else stale).setdefault(row[0], set()).add(key)
    return _frozen(granted), _frozen(stale)


def _frozen(sets: dict[Any, set[str]]) -> dict[Any, frozenset[str]]:
    return {key: frozenset(value) for key, value in sets.items()}


def _fixed(relation: Relation) -> list[ColumnElement[bool]]:
    return [column == value for column, value in relation.fixed]


def save_grants(
    conn: Connection,
    relation: Relation,
    side: Side,
    item: Any,
    wanted: Mapping[Any, Iterable[str]],
    *,
    replace_all: bool,
    user_id: int,
) -> Change:
    """Make ``item``'s grants what ``wanted`` says, touching only the rows that change.

    ``wanted`` maps other-side keys to the keys they should hold (empty: none).  With ``replace_all`` every grant
    of the item not in ``wanted`` is revoked too; without it, other items keep theirs (a page of a large side).
    Raises :class:`RelationError` 409 when a constraint would break; the caller's transaction then rolls back.
    """
    current, stale = _current(conn, relation, side, item)
    targets = set(wanted) | (set(current) if replace_all else set())
    drops: dict[frozenset[str], list[Any]] = {}
    added: list[tuple[Any, str]] = []
    removed: list[tuple[Any, str]] = []
    for other_key in sorted(targets, key=str):
        want = relation.normalise(wanted.get(other_key, ()))
        have = current.get(other_key, frozenset())
        removed += [(other_key, k) for k in sorted(have - want)]
        added += [(other_key, k) for k in sorted(want - have)]
        drop = (have - want) | ((want - have) & stale.get(other_key, frozenset()))
        if drop:
            drops.setdefault(frozenset(drop), []).append(other_key)
    for keys, others in drops.items():
        conn.execute(delete(relation.table).where(*_pairs(relation, side, item, others, keys)))
    if added:
        base = _base_row(relation, side, item, user_id)
        conn.execute(insert(relation.table), [base | _grant_columns(relation, side, o, k) for o, k in added])
        check_constraints(conn, relation, {item} if side is relation.left else {o for o, _k in added})
    return Change(tuple(added), tuple(removed))


def _pairs(
    relation: Relation, side: Side, item: Any, others: list[Any], keys: frozenset[str]
) -> list[ColumnElement[bool]]:
    where = [side.link == item, relation.other(side).link.in_(others), *_fixed(relation)]
    if relation.key_column is not None:
        where.append(relation.key_column.in_(sorted(keys)))
    return where


def _base_row(relation: Relation, side: Side, item: Any, user_id: int) -> dict[str, Any]:
    """What every new row of one save shares: the item, the fixed values and the audit columns the table has."""
    now = datetime.now().replace(microsecond=0)
    audit = {"create_time": now, "create_by": user_id, "change_time": now, "change_by": user_id}
    row: dict[str, Any] = {name: audit[name] for name in AUDIT_COLUMNS if name in relation.table.c}
    row |= {column.name: value for column, value in relation.fixed}
    row[side.link.name] = item
    if relation.value_column is not None:
        row[relation.value_column.name] = 1
    return row


def _grant_columns(relation: Relation, side: Side, other_key: Any, key: str) -> dict[str, Any]:
    row = {relation.other(side).link.name: other_key}
    if relation.key_column is not None:
        row[relation.key_column.name] = key
    return row


def check_constraints(conn: Connection, relation: Relation, lefts: set[Any]) -> None:
    """Refuse (409) when a left item among ``lefts`` holds two right items with the same ``one_per`` value."""
    left, right = relation.left, relation.right
    joined = relation.table.join(right.table, right.link == right.key)
    for column, message in relation.one_per:
        stmt = (
            select(left.link, column)
            .select_from(joined)
            .where(left.link.in_(sorted(lefts, key=str)), *_fixed(relation))
            .group_by(left.link, column)
            .having(func.count() > 1)
            .limit(1)
        )
        clash = conn.execute(stmt).first()
        if clash is not None:
            raise RelationError(409, _clash_message(conn, relation, (column, message), clash[0], clash[1]))


def _clash_message(conn: Connection, relation: Relation, rule: tuple[Col, str], left_key: Any, value: Any) -> str:
    left, right = relation.left, relation.right
    column, message = rule
    names_stmt = (
        select(right.display)
        .select_from(relation.table.join(right.table, right.link == right.key))
        .where(and_(left.link == left_key, column == value, *_fixed(relation)))
        .order_by(right.display)
    )
    names = ", ".join(f"'{name}'" for (name,) in conn.execute(names_stmt))
    who = f"{left.label} '{item_label(conn, left, left_key) or left_key}'"
    if message:
        return message.replace("{left}", who).replace("{items}", names)
    return f"{who} can have only one {right.label.lower()} per {column.name}; {names} share one."


# ------------------------------------------------------------------------------------------------------ requests


def parse_grants(conn: Connection, relation: Relation, side: Side, body: object) -> dict[Any, frozenset[str]]:
    """Validate ``{"<other id>": ["ro", "note"], ...}`` from a request: ids of the other side's type (400), lists of
    known keys (422 naming the unknown ones), ids that exist (404 naming the missing ones).

    Example::

        parse_grants(conn, relation, relation.left, {"3": ["ro"]})     # {3: frozenset({'ro'})}
    """
    other = relation.other(side)
    if not isinstance(body, dict):
        raise RelationError(400, f"Send a JSON object mapping {other.label.lower()} ids to lists of keys.")
    wanted: dict[Any, frozenset[str]] = {}
    unknown: set[str] = set()
    for raw_id, keys in body.items():
        other_key = other.parse_key(raw_id)
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise RelationError(422, f"The keys of {other.label.lower()} {raw_id} must be a list of strings.")
        unknown.update(k for k in keys if k not in relation.keys)
        wanted[other_key] = frozenset(keys)
    if unknown:
        names = ", ".join(f"'{k}'" for k in sorted(unknown))
        raise RelationError(422, f"Unknown key(s) {names}; expected some of: {', '.join(relation.keys)}.")
    missing = set(wanted) - set(labels(conn, other, wanted))
    if missing:
        names = ", ".join(str(k) for k in sorted(missing, key=str))
        raise RelationError(404, f"No {other.label.lower()} with the id(s) {names}.")
    return wanted


def existing_item(conn: Connection, side: Side, raw: str) -> tuple[Any, str]:
    """The key and label of the item ``raw`` names: 400 when malformed, 404 when unknown."""
    key = side.parse_key(raw)
    label = item_label(conn, side, key)
    if label is None:
        raise RelationError(404, f"{side.label} {raw} does not exist.")
    return key, label


def as_json(relation: Relation, grants: Mapping[Any, frozenset[str]]) -> dict[str, list[str]]:
    """Grants as the API sends them: ``{"<id>": [keys in the spec's order]}``, ids as text."""
    return {str(k): [key for key in relation.keys if key in v] for k, v in grants.items() if v}
