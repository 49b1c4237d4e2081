"""A ticket search as data: :class:`TicketQuery`, checked field by field with messages that name the field.

Every filter is optional and they all apply together (AND); a list matches any of its values.  Empty strings and
empty lists mean "no filter", as an unselected form field does.  Strings may use ``*`` as a wildcard (OTRS style):
``tn="2024*"``, ``title="*printer*"``; without ``*`` they match exactly (titles ignoring case).

Times are naive datetimes as OTRS stores them; an aware one is converted to UTC.  A date alone in ``*_to`` means
the end of that day.  ``pending_from``/``pending_to`` look at ``until_time`` and imply a pending time is set.

Example::

    query = TicketQuery.parse({"text": "printer", "queue_ids": [3, 4], "state_type": ["open", "new"]})
    TicketQuery.parse({"queue_ids": ["x"]})
    # SearchInvalid: queue_ids: 'x' is not an id (ids are whole numbers above 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from modules.tickets.dynamic_fields_search import DynamicFieldFilter, gather
from modules.tickets.search_text import MAX_TERMS, MAX_TEXT, Term, parse_text

MAX_BIGINT = 2**63 - 1
MAX_IDS = 1000
"""Values per list filter: a form never sends more, and each is a bound parameter."""

SortKey = Literal["id", "create_time", "change_time", "priority"]
ID_LISTS = (
    "queue_ids",
    "state_ids",
    "lock_ids",
    "priority_ids",
    "type_ids",
    "service_ids",
    "sla_ids",
    "owner_ids",
    "responsible_ids",
)
STRING_SIZES = {"tn": 50, "title": 255, "customer_id": 150, "customer_user_id": 250}
RANGES = (("created_from", "created_to"), ("changed_from", "changed_to"), ("pending_from", "pending_to"))


class SearchInvalid(ValueError):
    """A search parameter is wrong: ``field`` names it, the message is one sentence for the agent.

    >>> str(SearchInvalid("page_size", "use a number from 1 to 500."))
    'page_size: use a number from 1 to 500.'
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError("search_invalid", message)


def _as_id(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_BIGINT:
        shown = repr(value[:40] if isinstance(value, str) else value)[:50]
        raise _invalid(f"{shown} is not an id (ids are whole numbers above 0).")
    return value


def _as_time(value: Any, *, end_of_day: bool) -> datetime:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip()) if len(value.strip()) == 10 else datetime.fromisoformat(value)
        except ValueError:
            raise _invalid(f"{value[:40]!r} is not a date or time (use 2024-03-15 or 2024-03-15T10:30).") from None
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        day = datetime.combine(value, time())
        return day + timedelta(days=1, seconds=-1) if end_of_day else day
    raise _invalid("give a date or time, such as 2024-03-15 or 2024-03-15T10:30.")


class TicketQuery(BaseModel):
    """Words and filters of a ticket search (see the module docstring).  Immutable; compare and hash freely."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str | None = None
    tn: str | None = None
    title: str | None = None
    queue_ids: tuple[int, ...] | None = None
    state_ids: tuple[int, ...] | None = None
    state_type: tuple[str, ...] | None = None
    lock_ids: tuple[int, ...] | None = None
    priority_ids: tuple[int, ...] | None = None
    type_ids: tuple[int, ...] | None = None
    service_ids: tuple[int, ...] | None = None
    sla_ids: tuple[int, ...] | None = None
    owner_ids: tuple[int, ...] | None = None
    responsible_ids: tuple[int, ...] | None = None
    customer_id: str | None = None
    customer_user_id: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    changed_from: datetime | None = None
    changed_to: datetime | None = None
    pending_from: datetime | None = None
    pending_to: datetime | None = None
    archived: bool | None = None
    watched_by: int | None = None
    dynamic_fields: tuple[DynamicFieldFilter, ...] | None = None  # OTRS's DynamicField_<Name> filters
    sort: SortKey = "id"
    order: Literal["desc", "asc"] = "desc"

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> TicketQuery:
        """Validate ``data``; the first problem is raised as :class:`SearchInvalid` naming its field."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as error:
            first = error.errors()[0]
            message = first["msg"] if first["type"] == "search_invalid" else _plain(first)
            if first["loc"]:
                raise SearchInvalid(str(first["loc"][0]), message) from None
            field, _sep, message = message.partition(": ")  # the range check names its own field
            raise SearchInvalid(field, message) from None

    @model_validator(mode="before")
    @classmethod
    def _dynamic_fields(cls, data: Any) -> Any:
        """``DynamicField_<Name>`` keys (see ``dynamic_fields_search.gather``) become :attr:`dynamic_fields`."""
        if not isinstance(data, dict) or not any(str(key).startswith("DynamicField_") for key in data):
            return data
        keys = [key for key in data if str(key).startswith("DynamicField_")]
        found = gather({key: data[key] for key in keys})
        rest = {key: value for key, value in data.items() if key not in keys}
        given = tuple(rest.get("dynamic_fields") or ())
        return rest | {"dynamic_fields": (given + found) or None}

    @property
    def terms(self) -> tuple[Term, ...]:
        """The full-text terms of ``text`` (empty: no text condition)."""
        return parse_text(self.text) if self.text else ()

    @field_validator("text", mode="before")
    @classmethod
    def _text(cls, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise _invalid("give the words to search for as text.")
        if len(value) > MAX_TEXT:
            raise _invalid(f"use at most {MAX_TEXT} characters.")
        if len(parse_text(value)) > MAX_TERMS:
            raise _invalid(f"use at most {MAX_TERMS} different words.")
        return value.strip() or None

    @field_validator("tn", "title", "customer_id", "customer_user_id", mode="before")
    @classmethod
    def _string(cls, value: Any, info: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise _invalid("give text.")
        text = str(value).strip()
        if len(text) > STRING_SIZES[info.field_name]:
            raise _invalid(f"use at most {STRING_SIZES[info.field_name]} characters.")
        return text or None

    @field_validator(*ID_LISTS, mode="before")
    @classmethod
    def _ids(cls, value: Any) -> tuple[int, ...] | None:
        values = _as_list(value)
        return tuple(sorted({_as_id(item) for item in values})) if values else None

    @field_validator("state_type", mode="before")
    @classmethod
    def _state_types(cls, value: Any) -> tuple[str, ...] | None:
        values = _as_list(value)
        if any(not isinstance(item, str) or not item.strip() or len(item) > 200 for item in values):
            raise _invalid("give state type names, such as 'open' or 'pending reminder'.")
        return tuple(sorted({item.strip() for item in values})) if values else None

    @field_validator("watched_by", mode="before")
    @classmethod
    def _watcher(cls, value: Any) -> int | None:
        return None if value in (None, "") else _as_id(value)

    @field_validator(
        "created_from", "changed_from", "pending_from", "created_to", "changed_to", "pending_to", mode="before"
    )
    @classmethod
    def _times(cls, value: Any, info: Any) -> datetime | None:
        return None if value in (None, "") else _as_time(value, end_of_day=info.field_name.endswith("_to"))

    @field_validator("archived", mode="before")
    @classmethod
    def _archived(cls, value: Any) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        choices = {"": None, "y": True, "n": False, "true": True, "false": False}
        if not isinstance(value, str) or value.strip().lower() not in choices:
            raise _invalid("give true (archived tickets only), false (not archived) or nothing (both).")
        return choices[value.strip().lower()]

    @model_validator(mode="after")
    def _ranges(self) -> TicketQuery:
        for start, end in RANGES:
            low, high = getattr(self, start), getattr(self, end)
            if low is not None and high is not None and high < low:
                raise _invalid(f"{end}: must not be before {start}.")
        return self


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    values = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
    if len(values) > MAX_IDS:
        raise _invalid(f"give at most {MAX_IDS} values.")
    return values


def _plain(error: Any) -> str:
    """A sentence for pydantic's own errors (wrong choice, unknown field, range check)."""
    if error["type"] == "extra_forbidden":
        return "is not a search field."
    if error["type"] == "literal_error":
        return f"choose {error['ctx']['expected']}."
    message = str(error["msg"]).removeprefix("Value error, ")
    return message[0].lower() + message[1:] if message else "is not valid."
