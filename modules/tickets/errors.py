"""The three ways a ticket action fails, each a one-sentence message a screen or the API can show as it is.

- :class:`TicketDenied`: the actor lacks an OTRS permission key (a 403); the message names the key and the object.
- :class:`TicketNotFound`: the ticket (or article) does not exist (a 404).
- :class:`TicketInvalid`: bad input (a 400 or a form error); ``field`` names the input it is about, so a form can
  put the message beside it.

Example::

    try:
        service.move(ticket_id, "Junk")
    except TicketDenied as error:
        str(error)            # "You need the 'move_into' permission on queue 'Junk'."
    except TicketInvalid as error:
        error.field, str(error)   # ("queue", "The queue 'Junk' is invalid.")
"""

from __future__ import annotations


class TicketError(Exception):
    """Base class: ``str(error)`` is the sentence to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class TicketDenied(TicketError):
    """The actor lacks ``key`` on ``what`` (``"queue 'Raw'"``, ``"ticket 2024010110000012"``)."""

    def __init__(self, key: str, what: str) -> None:
        super().__init__(f"You need the '{key}' permission on {what}.")
        self.key = key
        self.what = what


class TicketNotFound(TicketError):
    """No such ticket or article."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what[:1].upper()}{what[1:]} does not exist.")
        self.what = what


class TicketInvalid(TicketError):
    """Bad input for ``field`` (a form field or API attribute name, e.g. ``"pending_until"``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def not_assignable(field: str, login: str, queue: str, key: str) -> TicketInvalid:
    """The error for an owner or responsible agent who lacks ``key`` on the ticket's queue."""
    verb = "own" if field == "owner" else "be responsible for"
    return TicketInvalid(
        field, f"The agent '{login}' may not {verb} tickets in queue '{queue}': they need the '{key}' permission."
    )
