"""Opaque, signed page cursors: a position in a sorted list that clients carry but cannot forge.

A cursor is ``base64url(json) + "." + base64url(hmac_sha256(key, json)[:16])``.  The JSON names the module and the
sort it was made for and holds the sort value and primary key of the row it points at, with dates, times and
decimals tagged so they come back as the same Python type.  The signature means a client can only replay positions
the server handed out: it cannot smuggle a value of another type (or a crafted string) into the keyset comparison.

Example::

    token = encode_cursor(b"secret", {"m": "priority", "s": "-name", "v": "high", "k": 4, "d": "n"})
    decode_cursor(b"secret", token)["k"]   # 4
    decode_cursor(b"other", token)         # raises CursorError
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

MAC_BYTES = 16
#: Tags for values JSON cannot carry; datetime before date because a datetime is a date.
_TAGS: tuple[tuple[str, type[Any]], ...] = (("dt", datetime), ("d", date), ("t", time), ("n", Decimal))


class CursorError(ValueError):
    """The cursor is malformed, or was not signed with this key."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:MAC_BYTES]


def pack_value(value: Any) -> Any:
    """A JSON-safe form of a sort or key value (``{"dt": "2024-01-31T10:00:00"}`` for a datetime, ...)."""
    for tag, kind in _TAGS:
        if isinstance(value, kind):
            return {tag: str(value) if tag == "n" else value.isoformat()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise CursorError(f"cannot put a {type(value).__name__} in a cursor")


def unpack_value(value: Any) -> Any:
    """The inverse of :func:`pack_value`."""
    if not isinstance(value, dict):
        return value
    ((tag, text),) = value.items()
    try:
        if tag == "dt":
            return datetime.fromisoformat(text)
        if tag == "d":
            return date.fromisoformat(text)
        if tag == "t":
            return time.fromisoformat(text)
        if tag == "n":
            return Decimal(text)
    except (TypeError, ValueError, InvalidOperation) as error:
        raise CursorError("bad value in cursor") from error
    raise CursorError(f"unknown value tag {tag!r} in cursor")


def encode_cursor(key: bytes, payload: dict[str, Any]) -> str:
    """Sign ``payload`` (JSON-serialisable, values already packed) and return the opaque token."""
    data = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return _b64(data) + "." + _b64(_mac(key, data))


def decode_cursor(key: bytes, token: str) -> dict[str, Any]:
    """Verify and open a token made by :func:`encode_cursor`; raise :class:`CursorError` on any tampering."""
    body, sep, mac = token.partition(".")
    try:
        data, signature = _unb64(body), _unb64(mac)
    except (binascii.Error, ValueError) as error:
        raise CursorError("cursor is not base64url") from error
    if not sep or not hmac.compare_digest(signature, _mac(key, data)):
        raise CursorError("cursor signature does not match")
    payload = json.loads(data)
    if not isinstance(payload, dict):
        raise CursorError("cursor is not an object")
    return payload
