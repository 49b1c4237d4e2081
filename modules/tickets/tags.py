"""OTRS tags in salutations, signatures and templates (``Kernel::System::TemplateGenerator::_Replace``).

Supported tags (names are case-insensitive, as OTRS matches them):

- ``<OTRS_CUSTOMER_REALNAME>``: the ticket's customer user's name, else the real name in the article's From;
- ``<OTRS_CUSTOMER_DATA_X>``: customer user fields (``UserFirstname``, ``UserLastname``, ``UserEmail``,
  ``UserLogin``, ``UserCustomerID``, ``UserPhone``, ...);
- ``<OTRS_CUSTOMER_X>``: the article answered (``From``, ``To``, ``Cc``, ``Subject``, ``Body``), then the customer
  user fields; ``<OTRS_CUSTOMER_SUBJECT[n]>`` the cleaned subject cut to n characters, ``<OTRS_CUSTOMER_EMAIL[n]>``
  (also ``NOTE``, ``BODY``) the first n body lines quoted with ``> ``;
- ``<OTRS_Agent_X>`` and its alias ``<OTRS_CURRENT_X>`` (the acting agent), ``<OTRS_OWNER_X>``,
  ``<OTRS_RESPONSIBLE_X>``: ``UserFirstname``, ``UserLastname``, ``UserFullname``, ``UserLogin``, ``UserEmail``,
  ``UserTitle``;
- ``<OTRS_TICKET_X>``: ``TicketNumber``, ``TicketID``, ``Title``, ``Queue``, ``State``, ``StateType``,
  ``Priority``, ``Type``, ``Lock``, ``Owner``, ``Responsible``, ``CustomerID``, ``CustomerUserID``, ``Created``;
  ``<OTRS_QUEUE>`` the queue's name;
- ``<OTRS_CONFIG_X>`` for a few harmless settings (``Ticket::Hook``, ``Ticket::HookDivider``, ``SystemID``,
  ``ProductName``); nothing else of the configuration is ever shown.

Every other ``<OTRS_...>`` tag becomes ``-``, as in OTRS.  Tags are replaced in ONE pass, so a value (a customer's
subject, say) that itself contains a tag is never expanded.  In HTML text (``html=True``) tags are written
``&lt;OTRS_...&gt;`` and every value is HTML-escaped.

Example::

    replace_tags("Dear <OTRS_CUSTOMER_REALNAME>,", context)       # 'Dear Carl Customer,'
    replace_tags("<OTRS_NOPE> <OTRS_CONFIG_DatabasePw>", context)  # '- -'
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr

from sqlalchemy import Connection, select

from modules.db.schema import metadata
from modules.tickets import subjects
from modules.tickets.articles import Article
from modules.tickets.options import TicketOptions
from modules.tickets.reads import Ticket
from modules.tickets.refs import Refs

T = metadata.tables
_TEXT = re.compile(r"<OTRS_([A-Za-z0-9_:\-]+?)(?:\[(\d+)\])?>", re.IGNORECASE)
_HTML = re.compile(r"&lt;OTRS_([A-Za-z0-9_:\-]+?)(?:\[(\d+)\])?&gt;", re.IGNORECASE)
_USER_PREFIXES = {"OWNER_": "owner", "RESPONSIBLE_": "responsible", "CURRENT_": "agent", "AGENT_": "agent"}
_CUSTOMER_COLUMNS = {
    "UserLogin": "login",
    "UserEmail": "email",
    "UserCustomerID": "customer_id",
    "UserTitle": "title",
    "UserFirstname": "first_name",
    "UserLastname": "last_name",
    "UserPhone": "phone",
    "UserFax": "fax",
    "UserMobile": "mobile",
    "UserStreet": "street",
    "UserZip": "zip",
    "UserCity": "city",
    "UserCountry": "country",
    "UserComment": "comments",
}


@dataclass(frozen=True)
class TagContext:
    """Everything tags can show, as OTRS's key/value hashes."""

    ticket: Mapping[str, str] = field(default_factory=dict)
    article: Mapping[str, str] = field(default_factory=dict)
    customer_user: Mapping[str, str] = field(default_factory=dict)
    users: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # "agent", "owner", "responsible"
    config: Mapping[str, str] = field(default_factory=dict)
    tn: str = ""
    options: TicketOptions = field(default_factory=TicketOptions)

    @property
    def customer_realname(self) -> str:
        name = f"{self.customer_user.get('UserFirstname', '')} {self.customer_user.get('UserLastname', '')}".strip()
        return name or parseaddr(self.article.get("From", ""))[0] or parseaddr(self.article.get("From", ""))[1]


def _get(values: Mapping[str, str], key: str) -> str | None:
    if key in values:
        return values[key]
    lowered = key.lower()
    return next((value for name, value in values.items() if name.lower() == lowered), None)


def _resolve(name: str, size: int | None, context: TagContext) -> str | None:
    upper = name.upper()
    if upper == "CUSTOMER_REALNAME":
        return context.customer_realname
    if upper == "QUEUE":
        return context.ticket.get("Queue")
    sources = {**{prefix: context.users.get(who, {}) for prefix, who in _USER_PREFIXES.items()}}
    sources.update({"TICKET_": context.ticket, "CONFIG_": context.config, "CUSTOMER_DATA_": context.customer_user})
    for prefix, values in sources.items():
        if upper.startswith(prefix):
            return _get(values, name[len(prefix) :])
    if upper.startswith("CUSTOMER_"):
        return _customer(name[9:], size, context)
    return None


def _customer(key: str, size: int | None, context: TagContext) -> str | None:
    """``<OTRS_CUSTOMER_X>``: the answered article's values, then the customer user's."""
    if key.upper() in ("EMAIL", "NOTE", "BODY"):
        lines = context.article.get("Body", "").splitlines()
        return "\n".join(f"> {line}" for line in (lines[:size] if size else lines))
    if key.upper() == "SUBJECT" and size is not None:
        return subjects.clean(context.tn, context.article.get("Subject", ""), context.options, size=size)
    found = _get(context.article, key)
    return found if found is not None else _get(context.customer_user, key)


def replace_tags(text: str, context: TagContext, *, html: bool = False) -> str:
    """``text`` with every OTRS tag replaced (unknown ones by ``-``); values escaped when ``html``."""

    def value(match: re.Match[str]) -> str:
        size = int(match.group(2)) if match.group(2) else None
        found = _resolve(match.group(1), size, context)
        shown = "-" if found is None else found
        return html_lib.escape(shown).replace("\n", "<br/>") if html else shown

    return (_HTML if html else _TEXT).sub(value, text or "")


def user_data(row: Mapping[str, object]) -> dict[str, str]:
    first, last = str(row.get("first_name") or ""), str(row.get("last_name") or "")
    return {
        "UserID": str(row.get("id") or ""),
        "UserLogin": str(row.get("login") or ""),
        "UserFirstname": first,
        "UserLastname": last,
        "UserFullname": f"{first} {last}".strip(),
        "UserTitle": str(row.get("title") or ""),
        "UserEmail": str(row.get("email") or ""),
    }


def context_for(
    conn: Connection, ticket: Ticket, agent_id: int, article: Article | None, options: TicketOptions
) -> TagContext:
    """The tag values of ``ticket`` for the acting agent: two or three statements (users, customer user)."""
    refs = Refs(conn)
    users = _users(conn, {agent_id, ticket.user_id, ticket.responsible_user_id})
    state = refs.state(ticket.ticket_state_id, valid=False)
    ticket_data = {
        "TicketNumber": ticket.tn,
        "TicketID": str(ticket.id),
        "Title": ticket.title,
        "Queue": refs.name("queue", ticket.queue_id),
        "QueueID": str(ticket.queue_id),
        "State": state.name,
        "StateType": state.type_name,
        "Priority": refs.name("priority", ticket.ticket_priority_id),
        "Type": refs.name("type", ticket.type_id),
        "Lock": refs.name("lock", ticket.ticket_lock_id),
        "Owner": users.get(ticket.user_id, {}).get("UserLogin", ""),
        "Responsible": users.get(ticket.responsible_user_id, {}).get("UserLogin", ""),
        "CustomerID": ticket.customer_id or "",
        "CustomerUserID": ticket.customer_user_id or "",
        "Created": f"{ticket.create_time:%Y-%m-%d %H:%M:%S}",
    }
    article_data = {}
    if article is not None:
        article_data = {
            "From": article.from_,
            "To": article.to,
            "Cc": article.cc,
            "ReplyTo": article.reply_to,
            "Subject": article.subject,
            "Body": article.body,
            "MessageID": article.message_id,
        }
    return TagContext(
        ticket=ticket_data,
        article=article_data,
        customer_user=_customer_user(conn, ticket.customer_user_id),
        users={
            "agent": users.get(agent_id, {}),
            "owner": users.get(ticket.user_id, {}),
            "responsible": users.get(ticket.responsible_user_id, {}),
        },
        config={
            "Ticket::Hook": options.ticket_hook,
            "Ticket::HookDivider": options.ticket_hook_divider,
            "SystemID": options.system_id,
            "ProductName": "GOTRS",
        },
        tn=ticket.tn,
        options=options,
    )


def _users(conn: Connection, ids: set[int]) -> dict[int, dict[str, str]]:
    users, prefs = T["users"], T["user_preferences"]
    email = (prefs.c.user_id == users.c.id) & (prefs.c.preferences_key == "UserEmail")
    query = (
        select(users.c.id, users.c.login, users.c.first_name, users.c.last_name, users.c.title)
        .add_columns(prefs.c.preferences_value.label("email"))
        .select_from(users.outerjoin(prefs, email))
        .where(users.c.id.in_(sorted(ids)))
    )
    found = {}
    for row in conn.execute(query).mappings():
        data = dict(row)
        raw = data["email"]
        data["email"] = bytes(raw).decode("utf-8", "replace") if isinstance(raw, bytes | memoryview) else raw
        found[int(row["id"])] = user_data(data)
    return found


def _customer_user(conn: Connection, login: str | None) -> dict[str, str]:
    if not login:
        return {}
    table = T["customer_user"]
    row = conn.execute(select(table).where(table.c.login == login)).mappings().first()
    if row is None:
        return {}
    data = {key: str(row[column] or "") for key, column in _CUSTOMER_COLUMNS.items()}
    data["UserFullname"] = f"{data['UserFirstname']} {data['UserLastname']}".strip()
    return data
