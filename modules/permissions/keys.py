"""The seven OTRS permission keys, and the rule that ``rw`` implies every other key.

OTRS stores a permission as a key on a group (``group_user``, ``group_role``, ``group_customer_user``,
``group_customer``); a check for key T matches rows with T or ``rw`` (``Kernel::System::Group``).

Example::

    check_key("move_into")          # "move_into"
    grants({"rw"}, "note")          # True: rw implies every key
    grants({"ro"}, "rw")            # False
"""

from __future__ import annotations

from collections.abc import Collection

#: OTRS's ``System::Permission`` keys, in OTRS's order.
PERMISSION_KEYS: tuple[str, ...] = ("ro", "move_into", "create", "note", "owner", "priority", "rw")


class UnknownPermissionKey(ValueError):
    """A permission check named a key OTRS does not have: a programming error, never a user's."""


def check_key(key: str) -> str:
    """Return ``key`` if it is one of :data:`PERMISSION_KEYS`, else raise :class:`UnknownPermissionKey`."""
    if key not in PERMISSION_KEYS:
        raise UnknownPermissionKey(f"Unknown permission key '{key}': use one of {', '.join(PERMISSION_KEYS)}.")
    return key


def grants(keys: Collection[str], key: str) -> bool:
    """Whether a set of keys held on one group grants ``key`` (``rw`` grants everything)."""
    return check_key(key) in keys or "rw" in keys
