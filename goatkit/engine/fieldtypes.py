"""Server-side conversion of one submitted value per spec field type, as marshmallow fields.

Each field turns what a browser or a JSON client sent into the value the column stores, or refuses it with one
sentence for the user ("Must be a whole number.").  Checks run in order and stop at the first failure, so a 10 MB
string is refused by its length before any pattern sees it.  Limits come from the spec (``min``, ``max``,
``min_length``, ``max_length``, ``pattern``) and from the column (``VARCHAR`` length, integer width, ``NUMERIC``
precision): a value the database would refuse is refused here, with a message instead of a database error.

Example::

    field = field_for(module.field_named("valid_id"), required=True)
    field.deserialize("2")        # 2
    field.deserialize("x")        # ValidationError: Must be a whole number.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from marshmallow import ValidationError, fields, validate
from sqlalchemy import BigInteger, Boolean, Column, DateTime, Float, Integer, Numeric, SmallInteger, String

from goatkit import i18n
from goatkit.engine import uploads
from goatkit.engine.model import ResolvedField

#: Text without a column limit (``TEXT``) is still capped: nobody types a megabyte into an admin form.
MAX_TEXT_LENGTH = 1_000_000
#: Plain-text passwords are capped before hashing so a huge value cannot cost much argon2 time.
MAX_PASSWORD_LENGTH = 1024
_SHORT_INPUT = 64  # numbers, dates and times are never longer; longer input is refused before parsing

_INT_RANGES = {SmallInteger: 2**15, Integer: 2**31, BigInteger: 2**63}
_INT_DIGITS = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DECIMAL_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_PHONE = re.compile(r"\+?[0-9 ()./-]*[0-9][0-9 ()./-]*")
_TRUE = frozenset({"1", "on", "true", "yes"})
_FALSE = frozenset({"0", "off", "false", "no", ""})

Check = Callable[[Any], str | None]

if TYPE_CHECKING:
    _Field = fields.Field[Any]
else:  # marshmallow 3 fields are not subscriptable at run time
    _Field = fields.Field


def label_text(text: str, name: str) -> str:
    """The label to show: ``@key|Fallback`` in the request's language (:mod:`goatkit.i18n`); outside a request its
    fallback; empty text (or a key with no label and no fallback) gives the humanised ``name``.

    Example::

        label_text("@admin.statuses.valid|Valid", "valid_id")   # 'Gültig' (German request), 'Valid' otherwise
        label_text("", "valid_id")                              # 'Valid id'
    """
    named = name.replace("_", " ").capitalize()
    if text.startswith("@"):
        return i18n.translate(text, named)
    return text or named


def number_text(value: float | int | decimal.Decimal) -> str:
    """``1.0`` as ``1``, ``2.5`` as ``2.5``: bounds read as the admin wrote them."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@lru_cache(maxsize=512)
def compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class SpecField(_Field):
    """A spec field: converts with :meth:`convert`, then runs ``checks`` in order and stops at the first failure.

    Blank input (``""`` or only spaces) of a non-text field means "no value" (``None``), as an HTML form sends it.
    A required field refuses a missing, ``None`` or blank value with "<Label> is required.".
    """

    blank_is_none = True

    def __init__(self, label: str, *, required: bool, checks: tuple[Check, ...] = (), **kwargs: Any) -> None:
        message = f"{label} is required."
        super().__init__(
            required=required,
            allow_none=not required,
            error_messages={"required": message, "null": message},
            **kwargs,
        )
        self.label = label
        self.checks = checks
        self.needed = required  # also set for required fields on update, where they may be absent but not emptied

    def deserialize(self, value: Any, attr: str | None = None, data: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        if isinstance(value, str) and (self.blank_is_none or self.needed) and not value.strip():
            value = None
        return super().deserialize(value, attr, data, **kw)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> Any:
        converted = self.convert(value)
        if converted == "":  # an optional text left empty: no format, pattern or minimum applies
            return converted
        for check in self.checks:
            problem = check(converted)
            if problem:
                raise ValidationError(problem)
        return converted

    def convert(self, value: Any) -> Any:
        raise NotImplementedError

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kw: Any) -> Any:
        return value


class Text(SpecField):
    blank_is_none = False

    def convert(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError("Must be text.")
        if "\x00" in value:  # PostgreSQL refuses NUL in text; say so instead of a database error
            raise ValidationError("Must not contain NUL characters.")
        return value


class Password(Text):
    """Checked as plain text; the caller hashes it (see ``forms.clean``) so no check ever sees the hash."""


class WholeNumber(SpecField):
    def convert(self, value: Any) -> int:
        if isinstance(value, bool):
            raise ValidationError("Must be a whole number.")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and len(value) <= _SHORT_INPUT and _INT_DIGITS.fullmatch(value.strip()):
            return int(value.strip())
        raise ValidationError("Must be a whole number.")


class DecimalNumber(SpecField):
    """``decimal`` gives :class:`decimal.Decimal` (exact, for ``NUMERIC``); ``float``/``number`` give ``float``."""

    def __init__(self, label: str, *, exact: bool, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.exact = exact

    def convert(self, value: Any) -> decimal.Decimal | float:
        if isinstance(value, bool) or not isinstance(value, int | float | str | decimal.Decimal):
            raise ValidationError("Must be a number.")
        text = value.strip() if isinstance(value, str) else str(value)
        if len(text) > _SHORT_INPUT or not _DECIMAL_TEXT.fullmatch(text):
            raise ValidationError("Must be a number.")
        number = decimal.Decimal(text)
        if not number.is_finite() or abs(number.adjusted()) > 300:
            raise ValidationError("Must be a number.")
        return number if self.exact else float(number)


class Flag(SpecField):
    """HTML checkbox values (``on``, ``1``, ``true``, ``yes``; ``0``, ``off``, ``false``, ``no``) and JSON booleans.

    The value is stored as the column holds it: ``True``/``False`` for ``BOOLEAN``, ``1``/``0`` for OTRS's integer
    flags, ``"1"``/``"0"`` for text columns.
    """

    blank_is_none = False

    def __init__(self, label: str, *, store: Callable[[bool], Any], **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.store = store

    def convert(self, value: Any) -> Any:
        if isinstance(value, bool):
            return self.store(value)
        if isinstance(value, int) and value in (0, 1):
            return self.store(bool(value))
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return self.store(value.strip().lower() in _TRUE)
        raise ValidationError("Must be true or false.")


class Temporal(SpecField):
    """ISO 8601 and the HTML inputs: ``date`` (``2024-05-01``), ``datetime-local`` (``2024-05-01T09:30``),
    ``time`` (``09:30``).  An aware datetime is converted to UTC and stored naive, as OTRS stores times, unless the
    column keeps time zones."""

    def __init__(self, label: str, *, kind: str, as_datetime: bool = False, aware: bool = False, **kw: Any) -> None:
        super().__init__(label, **kw)
        self.kind, self.as_datetime, self.aware = kind, as_datetime, aware

    _MESSAGES = {
        "date": "Must be a date (YYYY-MM-DD).",
        "datetime": "Must be a date and time (YYYY-MM-DD HH:MM).",
        "time": "Must be a time (HH:MM).",
    }

    def convert(self, value: Any) -> dt.date | dt.datetime | dt.time:
        if isinstance(value, str) and len(value) <= _SHORT_INPUT:
            try:
                return self._parse(value.strip())
            except ValueError:
                pass
        raise ValidationError(self._MESSAGES[self.kind])

    def _parse(self, text: str) -> dt.date | dt.datetime | dt.time:
        if self.kind == "time":
            return dt.time.fromisoformat(text)
        if self.kind == "date":
            if len(text) != 10:  # fromisoformat also takes 20240501 and week dates; forms send YYYY-MM-DD
                raise ValueError(text)
            day = dt.date.fromisoformat(text)
            return dt.datetime(day.year, day.month, day.day) if self.as_datetime else day
        moment = dt.datetime.fromisoformat(text)
        if moment.tzinfo is not None and not self.aware:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        return moment


class FileUpload(SpecField):
    """``file``/``files``: uploads checked by ``accept``, size (spec ``max`` in bytes, else the platform's
    ``upload_max_bytes``) and count (one, or ``files``: at most ``max_length``, default 20); the value is an
    :class:`~goatkit.engine.uploads.Upload` (a list when ``many``), stored by ``uploads.store`` in the write path.
    ``REMOVE`` (the form's remove checkbox) or JSON ``null`` clears the field unless it is required."""

    def __init__(self, label: str, *, required: bool, accept: str, limit: float | None, many: bool, most: int,
                 **kwargs: Any) -> None:  # fmt: skip
        kwargs.pop("checks", None)  # length and pattern checks do not apply to files
        super().__init__(label, required=required, **kwargs)
        self.accept, self.limit, self.many, self.most = accept, limit, many, most

    def convert(self, value: Any) -> Any:
        if value is uploads.REMOVE:
            if self.needed or self.required:
                raise ValidationError(f"{self.label} is required.")
            return None
        items = list(value) if isinstance(value, list | tuple) else [value]
        if len(items) > 1 and not self.many:
            raise ValidationError(f"{self.label} takes one file, not {len(items)}.")
        if len(items) > self.most:
            raise ValidationError(f"{self.label} takes at most {self.most} files, not {len(items)}.")
        limit = uploads.max_bytes(self.limit)
        try:
            received = [uploads.receive(item, self.label, limit) for item in items]
        except uploads.UploadProblem as problem:
            raise ValidationError(str(problem)) from None
        for upload in received:
            if refused := uploads.accept_problem(self.accept, upload, self.label):
                raise ValidationError(refused)
        return received if self.many else received[0]


STRUCTURED_MAX_CHARS = 1_000_000


class Structured(SpecField):
    """``json``: a JSON object or list, kept as is for the module's hooks; a form sends it as JSON text."""

    def __init__(self, label: str, *, required: bool, checks: tuple[Check, ...] = (), **kwargs: Any) -> None:
        super().__init__(label, required=required, **kwargs)  # length and pattern checks do not apply

    def convert(self, value: Any) -> Any:
        if isinstance(value, str):
            if len(value) > STRUCTURED_MAX_CHARS:
                raise ValidationError(f"Must be at most {STRUCTURED_MAX_CHARS} characters.")
            try:
                value = json.loads(value)
            except ValueError:
                raise ValidationError("Must be a JSON object or list.") from None
        if not isinstance(value, dict | list):
            raise ValidationError("Must be a JSON object or list.")
        return value


class Choice(SpecField):
    """One value (``select``, ``radio``) or a list (``multiselect``), typed like the column, checked against
    ``options`` when the spec lists them.  A list is stored comma-separated in text columns (as the Go GOTRS does),
    and kept a list for any other column type (``JSON``, ``ARRAY``)."""

    def __init__(
        self,
        label: str,
        *,
        item: Callable[[Any], Any],
        options: Mapping[Any, str],
        many: bool = False,
        join: bool = False,
        max_length: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, **kwargs)
        self.item, self.options, self.many, self.join = item, options, many, join
        self.max_length = max_length

    def convert(self, value: Any) -> Any:
        if not self.many:
            return self._one(value)
        if not isinstance(value, list | tuple):
            raise ValidationError("Must be a list.")
        values = [self._one(v) for v in value]
        if not self.join:
            return values
        if any("," in str(v) for v in values):
            raise ValidationError("Values must not contain commas.")
        joined = ",".join(str(v) for v in values)
        if self.max_length is not None and len(joined) > self.max_length:
            raise ValidationError(f"Too many choices: they must fit in {self.max_length} characters.")
        return joined

    def _one(self, value: Any) -> Any:
        try:
            converted = self.item(value)
        except ValidationError:
            if not self.options:
                raise
            converted = None  # refused below with the list of choices, which says more
        if self.options and converted not in self.options:
            listed = ", ".join(f"{v} ({label})" if label else str(v) for v, label in self.options.items())
            raise ValidationError(f"Must be one of: {listed}.")
        return converted


# --- building a field from a resolved spec field -------------------------------------------------------------


def field_for(resolved: ResolvedField, *, required: bool, pattern: str = "") -> SpecField:
    """The marshmallow field converting and checking ``resolved`` (``pattern`` adds ``validation.field_patterns``).

    A field with ``lookup_table`` is a choice typed by the lookup's key column, whatever its ``type``.
    """
    column = resolved.lookup.key if resolved.lookup is not None else resolved.column
    cls, options = _field_class(resolved, column)
    label = label_text(resolved.spec.label, resolved.name)
    return cls(label, required=required, checks=_checks(resolved, column, pattern), **options)


Options = dict[str, Any]
MaybeColumn = Column[Any] | None


def _field_class(resolved: ResolvedField, column: MaybeColumn) -> tuple[type[SpecField], Options]:
    spec = resolved.spec
    if spec.type in uploads.FILE_TYPES:
        many = uploads.holds_many(resolved)
        most = (spec.max_length or uploads.MAX_FILES) if many else 1
        return FileUpload, {"accept": spec.accept, "limit": spec.max, "many": many, "most": most}
    if spec.type == "json":
        return Structured, {}
    if is_choice(resolved):
        return Choice, _choice_options(resolved, column)
    return _BY_KIND[resolved.kind](resolved, column)


def is_choice(resolved: ResolvedField) -> bool:
    """Whether a value must be one of a set: ``select``/``radio``/``multiselect``, a lookup, or a number or text
    field listing ``options`` (``valid_id: {type: int, options: [...]}`` as in the Go GOTRS specs)."""
    spec = resolved.spec
    if spec.type in ("select", "radio", "multiselect") or spec.lookup_table:
        return True
    return bool(spec.options) and resolved.kind in ("int", "decimal", "str") and spec.type != "password"


def _choice_options(resolved: ResolvedField, column: MaybeColumn) -> Options:
    item = _item_converter(resolved, column)
    many = resolved.spec.type == "multiselect"
    join = many and resolved.column is not None and isinstance(resolved.column.type, String)
    return {
        "item": item,
        "options": {_typed_option(item, o.value): label_text(o.label, "") for o in resolved.spec.options},
        "many": many,
        "join": join,
        "max_length": _max_length(resolved, resolved.column) if join else None,
    }


def _temporal_options(resolved: ResolvedField, column: MaybeColumn) -> tuple[type[SpecField], Options]:
    as_datetime = column is not None and isinstance(column.type, DateTime)
    aware = column is not None and isinstance(column.type, DateTime) and bool(column.type.timezone)
    return Temporal, {"kind": resolved.kind, "as_datetime": as_datetime, "aware": aware}


_BY_KIND: dict[str, Callable[[ResolvedField, MaybeColumn], tuple[type[SpecField], Options]]] = {
    "int": lambda r, c: (WholeNumber, {}),
    "decimal": lambda r, c: (DecimalNumber, {"exact": r.spec.type == "decimal" or (c is not None and _is_exact(c))}),
    "bool": lambda r, c: (Flag, {"store": _flag_store(c)}),
    "date": _temporal_options,
    "datetime": _temporal_options,
    "time": _temporal_options,
    "multi": lambda r, c: (Choice, _choice_options(r, c)),
    "str": lambda r, c: (Password if r.spec.type == "password" else Text, {}),
}


def _item_converter(resolved: ResolvedField, column: MaybeColumn) -> Callable[[Any], Any]:
    """How one choice is typed: like its column, else like the spec's option values."""
    is_int = column is not None and isinstance(column.type, Integer)
    if column is None and resolved.spec.options:
        is_int = all(isinstance(o.value, int) and not isinstance(o.value, bool) for o in resolved.spec.options)
    if is_int:
        return _bounded_integer(_integer_width(column))
    length = getattr(column.type, "length", None) if column is not None else None
    return _bounded_text(length if isinstance(length, int) else MAX_TEXT_LENGTH)


def _bounded_integer(width: int) -> Callable[[Any], int]:
    whole = WholeNumber("", required=False).convert

    def convert(value: Any) -> int:
        number = whole(value)
        if not -width <= number < width:
            raise ValidationError(f"Must be between {-width} and {width - 1}.")
        return number

    return convert


def _bounded_text(length: int) -> Callable[[Any], str]:
    text = Text("", required=False).convert

    def convert(value: Any) -> str:
        converted = text(str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value)
        if len(converted) > length:
            raise ValidationError(f"Must be at most {length} characters.")
        return converted

    return convert


def _typed_option(item: Callable[[Any], Any], value: Any) -> Any:
    """An option value typed like submitted values; one that does not convert is kept (and can never match)."""
    try:
        return item(value)
    except ValidationError:
        return value


def _is_exact(column: Column[Any]) -> bool:
    return isinstance(column.type, Numeric) and not isinstance(column.type, Float) and column.type.asdecimal


def _flag_store(column: MaybeColumn) -> Callable[[bool], Any]:
    if column is None or isinstance(column.type, Boolean):
        return bool
    if isinstance(column.type, Integer):
        return int
    if isinstance(column.type, String):
        return lambda flag: "1" if flag else "0"
    return bool


def _checks(resolved: ResolvedField, column: MaybeColumn, pattern: str) -> tuple[Check, ...]:
    spec = resolved.spec
    checks: list[Check] = []
    if is_choice(resolved):
        return ()  # the choices (or the lookup's key column) bound the value
    if resolved.kind in ("int", "decimal"):
        checks += _number_checks(spec.min, spec.max, column, resolved.kind == "int")
    if resolved.kind == "str":
        checks += _length_checks(spec.min_length, _max_length(resolved, column))
        checks += _format_checks(spec.type)
    if resolved.kind in ("str", "int"):  # an integer's pattern applies to its decimal digits
        checks += [_pattern_check(p) for p in (spec.pattern, spec.validation, pattern) if p]
    return tuple(checks)


def _max_length(resolved: ResolvedField, column: MaybeColumn) -> int:
    if resolved.spec.type == "password":  # the column holds the hash, not what the user typed
        return min(resolved.spec.max_length or MAX_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH)
    limits = [resolved.spec.max_length or MAX_TEXT_LENGTH]
    length = getattr(column.type, "length", None) if column is not None else None
    if isinstance(length, int):
        limits.append(length)
    return min(limits)


def _length_checks(low: int | None, high: int) -> list[Check]:
    checks: list[Check] = [lambda v: f"Must be at most {high} characters." if len(v) > high else None]
    if low:
        checks.append(lambda v: f"Must be at least {low} characters." if len(v) < low else None)
    return checks


def _number_checks(low: float | None, high: float | None, column: MaybeColumn, whole: bool) -> list[Check]:
    checks: list[Check] = []
    width = _integer_width(column) if whole else None
    if width is not None:
        checks.append(lambda v: f"Must be between {-width} and {width - 1}." if not -width <= v < width else None)
    bound = _numeric_bound(column) if column is not None and not whole else None
    if bound is not None:
        limit, places = bound
        checks.append(lambda v: f"Must have at most {places} decimal places." if _places(v) > places else None)
        checks.append(lambda v: f"Must be between -{limit} and {limit}." if abs(decimal.Decimal(v)) > limit else None)
    if low is not None:
        checks.append(lambda v: f"Must be at least {number_text(low)}." if v < low else None)
    if high is not None:
        checks.append(lambda v: f"Must be at most {number_text(high)}." if v > high else None)
    return checks


def _integer_width(column: MaybeColumn) -> int:
    """Half the range of the column's integer type; 64 bits when unknown, so no value overflows a driver."""
    if column is not None:
        for kind in (SmallInteger, BigInteger, Integer):  # subclasses first
            if isinstance(column.type, kind):
                return _INT_RANGES[kind]
    return 2**63


def _numeric_bound(column: Column) -> tuple[decimal.Decimal, int] | None:  # type: ignore[type-arg]
    kind = column.type
    if not isinstance(kind, Numeric) or isinstance(kind, Float) or kind.precision is None:
        return None
    scale = kind.scale or 0
    limit = decimal.Decimal(10) ** (kind.precision - scale) - decimal.Decimal(1).scaleb(-scale)
    return limit, scale


def _places(value: decimal.Decimal | float) -> int:
    exponent = decimal.Decimal(str(value)).normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _format_checks(field_type: str) -> list[Check]:
    if field_type == "email":
        return [_marshmallow_check(validate.Email(), "Must be an email address.")]
    if field_type == "url":
        url = validate.URL(relative=False, require_tld=False, schemes={"http", "https"})
        return [_marshmallow_check(url, "Must be a URL starting with http:// or https://.")]
    if field_type in ("phone", "tel"):
        return [lambda v: None if _PHONE.fullmatch(v) else "Must be a phone number (digits, spaces and + ( ) - . /)."]
    if field_type == "color":
        return [lambda v: None if _COLOR.fullmatch(v) else "Must be a color like #1a2b3c or #abc."]
    return []


def _marshmallow_check(validator: Callable[[str], Any], message: str) -> Check:
    def check(value: str) -> str | None:
        try:
            validator(value)
        except ValidationError:
            return message
        return None

    return check


def _pattern_check(pattern: str) -> Check:
    return lambda v: None if compiled(pattern).fullmatch(str(v)) else f"Must match {pattern}."
