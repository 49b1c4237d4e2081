"""What a new ticket or article is made of: pydantic models validated field by field, with one sentence per error.

The same models feed the service, the agent screens and the JSON API, so a form and an API client get the same
message for the same mistake.  They check what needs no database (lengths, required values, address syntax);
names of queues, states, owners and so on are checked by the service against the database.

Example::

    draft = TicketDraft(title="Printer on fire", queue="Raw", customer_user="carl@example.com")
    note = ArticleDraft(body="Called the customer.", history_type="AddNote")
    field_errors(error)   # {"title": "The title is longer than 255 characters."} for a ValidationError
    parse(TicketDraft, {"title": ""})   # raises TicketInvalid("title", "The title is empty.")
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from email.utils import parseaddr
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from modules.tickets.errors import TicketInvalid

#: History types an article can be written with (the caller says which; OTRS's screens each use one).
ArticleHistoryType = Literal[
    "AddNote",
    "PhoneCallAgent",
    "PhoneCallCustomer",
    "EmailAgent",
    "SendAnswer",
    "Forward",
    "EmailCustomer",
    "WebRequestCustomer",
    "SystemRequest",
    "FollowUp",
    "Bounce",
    "EmailResend",
]
#: Articles of these types are sent: they get an RFC 5322 message in ``mail_queue``.
OUTGOING_TYPES = frozenset({"EmailAgent", "SendAnswer", "Forward"})
M = TypeVar("M", bound=BaseModel)
_ADDRESS_LIST = re.compile(r',(?=(?:[^"]*"[^"]*")*[^"]*$)')  # commas outside quoted display names


def _error(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def _limit(value: str | None, size: int, what: str) -> str | None:
    if value is not None and len(value) > size:
        raise _error("too_long", f"The {what} is longer than {size} characters.")
    return value


class AttachmentDraft(BaseModel):
    """A file of an article; ``content_id`` (``<logo@example.com>``) makes it an inline image for ``cid:``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    filename: str = Field(min_length=1, max_length=250)
    content_type: str = Field(default="application/octet-stream", min_length=1, max_length=450)
    content: bytes
    content_id: str | None = Field(default=None, max_length=250)
    disposition: Literal["attachment", "inline"] = "attachment"


class ArticleDraft(BaseModel):
    """A new article.  ``body`` is plain text, or HTML with ``content_type="text/html"`` (kept as OTRS does)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    channel: Literal["Email", "Phone", "Internal"] = "Internal"
    sender_type: Literal["agent", "system", "customer"] = "agent"
    visible_for_customer: bool = False
    history_type: ArticleHistoryType = "AddNote"
    history_comment: str | None = None  # OTRS's HistoryComment; a default per type when None
    subject: str = ""
    body: str = ""
    content_type: Literal["text/plain", "text/html"] = "text/plain"
    from_: str | None = Field(default=None, alias="from")
    to: str = ""
    cc: str = ""
    bcc: str = ""
    reply_to: str | None = None
    message_id: str | None = None  # incoming mail: its own Message-ID; outgoing: generated
    in_reply_to: str | None = None
    references: str | None = None
    reply_to_article_id: int | None = None  # outgoing: In-Reply-To/References of this article
    send: bool | None = None  # None: send when history_type is EmailAgent, SendAnswer or Forward
    time_units: Decimal | None = None
    incoming_time: datetime | None = None
    attachments: list[AttachmentDraft] = Field(default_factory=list)

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        if not value.strip():
            raise _error("required", "The body is empty.")
        return value

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        return _limit(value, 3800, "subject") or ""

    @field_validator("to", "cc", "bcc")
    @classmethod
    def _addresses(cls, value: str) -> str:
        for part in _ADDRESS_LIST.split(value):
            address = parseaddr(part)[1]
            if part.strip() and ("@" not in address or " " in address):
                raise _error("address", f"'{part.strip()}' is not an email address.")
        return value

    @model_validator(mode="after")
    def _recipient(self) -> ArticleDraft:
        if self.sends and not (self.to.strip() or self.cc.strip() or self.bcc.strip()):
            raise _error("recipient", "An email needs at least one recipient.")
        return self

    @property
    def sends(self) -> bool:
        """Whether this article goes out as an email (queued in ``mail_queue``)."""
        if self.send is not None:
            return self.send
        return self.channel == "Email" and self.history_type in OUTGOING_TYPES


class TicketDraft(BaseModel):
    """A new ticket.  ``queue``, ``state``, ``priority``, ``type``, ``service`` and ``sla`` take a name or an id."""

    model_config = ConfigDict(extra="forbid")

    title: str
    queue: int | str
    state: int | str = "new"
    priority: int | str = "3 normal"
    type: int | str | None = None  # None: Ticket::Type::Default
    service: int | str | None = None
    sla: int | str | None = None
    owner: int | None = None  # None: the actor (the system: user 1)
    responsible: int | None = None  # None: user 1, as OTRS's TicketCreate
    lock: Literal["lock", "unlock"] = "unlock"
    customer_user: str | None = None
    customer_id: str | None = None
    pending_until: datetime | None = None

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise _error("required", "The title is empty.")
        return _limit(value, 255, "title") or ""

    @field_validator("customer_user")
    @classmethod
    def _customer_user(cls, value: str | None) -> str | None:
        return _limit(value, 250, "customer user")

    @field_validator("customer_id")
    @classmethod
    def _customer_id(cls, value: str | None) -> str | None:
        return _limit(value, 150, "customer ID")


def field_errors(error: ValidationError) -> dict[str, str]:
    """One message per field (the first), keyed by field name (``""`` for the whole draft)."""
    messages: dict[str, str] = {}
    for item in error.errors():
        location = item.get("loc") or ("",)
        messages.setdefault(str(location[0]), item["msg"])
    return messages


def parse(model: type[M], data: dict[str, Any]) -> M:
    """Validate ``data`` into ``model``, raising :class:`TicketInvalid` for the first field in error."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        field, message = next(iter(field_errors(error).items()))
        raise TicketInvalid(field, message) from None
