"""Saved ticket searches per agent, stored as OTRS stores them in ``search_profile``.

OTRS's ``Kernel::System::SearchProfile`` writes one row per value: ``login`` is ``"TicketSearch::" + the agent's
login`` (the *Base* and the login; compared ignoring case), ``profile_type`` says how to read the key back
(``SCALAR``: one value, ``ARRAY``: every row of the key is one element), ``profile_key`` is the search parameter and
``profile_value`` its value (at most 200 characters).  The keys are OTRS's ``TicketSearch`` parameter names, so a
profile means the same to both; keys GOTRS does not know (OTRS's form state such as ``ShownAttributes``) are
ignored on load.

=====================  ==============================  =====================  =================================
TicketQuery field      OTRS key                        TicketQuery field      OTRS key
=====================  ==============================  =====================  =================================
text                   Fulltext                        created_from / _to     TicketCreateTimeNewerDate / Older
tn                     TicketNumber                    changed_from / _to     TicketChangeTimeNewerDate / Older
title                  Title                           pending_from / _to     TicketPendingTimeNewerDate / Older
queue_ids, state_ids   QueueIDs, StateIDs              archived               ArchiveFlags (``y`` / ``n``)
state_type             StateType                       watched_by             WatchUserIDs
lock_ids, priority_ids LockIDs, PriorityIDs            sort                   SortBy (Ticket, Created, Changed,
type_ids, service_ids  TypeIDs, ServiceIDs                                    Priority)
sla_ids                SLAIDs                          order                  OrderBy (Down, Up)
owner_ids              OwnerIDs                        customer_id            CustomerID
responsible_ids        ResponsibleIDs                  customer_user_id       CustomerUserLogin
=====================  ==============================  =====================  =================================

Dynamic field filters are saved as ``DynamicField_<Name>.<Op>`` rows (GOTRS's key: OTRS's TicketSearch parameter
``DynamicField_<Name>`` holds a hash of operators, which a profile row cannot), one ARRAY row per value.

Example::

    save_profile(conn, "jdoe", "My open printers", TicketQuery(text="printer", state_type=("open",)))
    list_profiles(conn, "jdoe")                     # ['My open printers']
    load_profile(conn, "jdoe", "My open printers")  # TicketQuery(text='printer', state_type=('open',), ...)
    delete_profile(conn, "jdoe", "My open printers")
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from modules.db.schema import metadata
from modules.tickets.search_query import SearchInvalid, TicketQuery

BASE = "TicketSearch"
VALUE_SIZE = 200  # search_profile.profile_value is VARCHAR(200)
_PROFILE = metadata.tables["search_profile"]
_TIME = "%Y-%m-%d %H:%M:%S"
_SCALARS = {
    "text": "Fulltext",
    "tn": "TicketNumber",
    "title": "Title",
    "customer_id": "CustomerID",
    "customer_user_id": "CustomerUserLogin",
}
_ARRAYS = {
    "queue_ids": "QueueIDs",
    "state_ids": "StateIDs",
    "state_type": "StateType",
    "lock_ids": "LockIDs",
    "priority_ids": "PriorityIDs",
    "type_ids": "TypeIDs",
    "service_ids": "ServiceIDs",
    "sla_ids": "SLAIDs",
    "owner_ids": "OwnerIDs",
    "responsible_ids": "ResponsibleIDs",
}
_TIMES = {
    "created_from": "TicketCreateTimeNewerDate",
    "created_to": "TicketCreateTimeOlderDate",
    "changed_from": "TicketChangeTimeNewerDate",
    "changed_to": "TicketChangeTimeOlderDate",
    "pending_from": "TicketPendingTimeNewerDate",
    "pending_to": "TicketPendingTimeOlderDate",
}
_SORTS = {"id": "Ticket", "create_time": "Created", "change_time": "Changed", "priority": "Priority"}
_ORDERS = {"desc": "Down", "asc": "Up"}


class ProfileNotFound(LookupError):
    """The agent has no saved search of that name."""


def _login(login: str) -> str:
    return f"{BASE}::{login}"


def _mine(login: str, name: str | None = None) -> list[Any]:
    conditions = [func.lower(_PROFILE.c.login) == _login(login).lower()]
    return conditions if name is None else [*conditions, _PROFILE.c.profile_name == name]


def _check_name(login: str, name: str) -> None:
    if not login or len(_login(login)) > VALUE_SIZE:
        raise SearchInvalid("login", f"give the agent's login (at most {VALUE_SIZE - len(BASE) - 2} characters).")
    if not name.strip() or len(name) > VALUE_SIZE:
        raise SearchInvalid("name", f"give the saved search a name of 1 to {VALUE_SIZE} characters.")


def profile_rows(query: TicketQuery) -> list[tuple[str, str, str]]:
    """``(profile_type, profile_key, profile_value)`` rows for a query: unset fields are left out.

    >>> profile_rows(TicketQuery(text="printer", queue_ids=(3, 4), archived=False))
    [('SCALAR', 'Fulltext', 'printer'), ('ARRAY', 'QueueIDs', '3'), ('ARRAY', 'QueueIDs', '4'), \
('ARRAY', 'ArchiveFlags', 'n'), ('SCALAR', 'SortBy', 'Ticket'), ('SCALAR', 'OrderBy', 'Down')]
    """
    rows: list[tuple[str, str, str]] = []
    for field, key in _SCALARS.items():
        if getattr(query, field) is not None:
            rows.append(("SCALAR", key, str(getattr(query, field))))
    for field, key in _ARRAYS.items():
        rows.extend(("ARRAY", key, str(value)) for value in getattr(query, field) or ())
    for field, key in _TIMES.items():
        moment: datetime | None = getattr(query, field)
        if moment is not None:
            rows.append(("SCALAR", key, moment.strftime(_TIME)))
    if query.archived is not None:
        rows.append(("ARRAY", "ArchiveFlags", "y" if query.archived else "n"))
    if query.watched_by is not None:
        rows.append(("ARRAY", "WatchUserIDs", str(query.watched_by)))
    for flt in query.dynamic_fields or ():  # DynamicField_<Name>.<Op>: one ARRAY row per value
        rows.extend(("ARRAY", f"DynamicField_{flt.name}.{flt.op}", value) for value in flt.values)
    rows += [("SCALAR", "SortBy", _SORTS[query.sort]), ("SCALAR", "OrderBy", _ORDERS[query.order])]
    for _kind, key, value in rows:
        if len(value) > VALUE_SIZE:
            field = next((f for f, k in {**_SCALARS, **_ARRAYS, **_TIMES}.items() if k == key), key.split(".")[0])
            raise SearchInvalid(field, f"is too long to save: a saved value holds at most {VALUE_SIZE} characters.")
    return rows


def query_from_rows(rows: list[tuple[str, str, str | None]]) -> TicketQuery:
    """The query saved as these ``(profile_type, profile_key, profile_value)`` rows (unknown keys ignored)."""
    values: dict[str, Any] = {}
    for kind, key, value in rows:
        if kind == "ARRAY":
            values.setdefault(key, []).append(value)
        else:
            values[key] = value
    data: dict[str, Any] = {}
    for field, key in {**_SCALARS, **_ARRAYS, **_TIMES}.items():
        if key in values:
            data[field] = values[key]
    flags = set(values.get("ArchiveFlags") or [])
    if len(flags) == 1:  # ['y', 'n'] (OTRS: both) is no filter
        data["archived"] = flags.pop()
    if values.get("WatchUserIDs"):
        data["watched_by"] = values["WatchUserIDs"][0]
    data |= {key: value for key, value in values.items() if key.startswith("DynamicField_")}
    data["sort"] = {v: k for k, v in _SORTS.items()}.get(values.get("SortBy") or "", "id")
    data["order"] = {v: k for k, v in _ORDERS.items()}.get(values.get("OrderBy") or "", "desc")
    return TicketQuery.parse(data)


def save_profile(conn: Connection, login: str, name: str, query: TicketQuery) -> None:
    """Save ``query`` as the agent's search ``name``, replacing a saved search of the same name."""
    _check_name(login, name)
    rows = profile_rows(query)
    conn.execute(delete(_PROFILE).where(*_mine(login, name)))
    conn.execute(
        insert(_PROFILE),
        [
            {"login": _login(login), "profile_name": name, "profile_type": kind, "profile_key": key, "profile_value": v}
            for kind, key, v in rows
        ],
    )


def load_profile(conn: Connection, login: str, name: str) -> TicketQuery:
    """The agent's saved search ``name``; :class:`ProfileNotFound` if there is none."""
    statement = select(_PROFILE.c.profile_type, _PROFILE.c.profile_key, _PROFILE.c.profile_value).where(
        *_mine(login, name)
    )
    rows = [(str(kind), str(key), value) for kind, key, value in conn.execute(statement)]
    if not rows:
        raise ProfileNotFound(f"There is no saved search named {name!r}.")
    return query_from_rows(rows)


def list_profiles(conn: Connection, login: str) -> list[str]:
    """The names of the agent's saved searches, sorted."""
    statement = select(_PROFILE.c.profile_name).where(*_mine(login)).distinct().order_by(_PROFILE.c.profile_name)
    return list(conn.execute(statement).scalars())


def delete_profile(conn: Connection, login: str, name: str) -> bool:
    """Delete the agent's saved search ``name``; False if there was none."""
    return bool(conn.execute(delete(_PROFILE).where(*_mine(login, name))).rowcount)
