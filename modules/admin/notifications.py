"""Ticket notifications (``modules/notification_event.yaml``): the items and the per-language messages of each one.

OTRS keeps a notification in three tables: ``notification_event`` (name, validity, comments), many
``notification_event_item`` rows (``event_key``/``event_value``: ``Events``, ``Recipients``, ``RecipientGroups``,
``Transports``, ``ArticleSenderTypeID`` ..., one row per value) and one ``notification_event_message`` per language.
The hook ``notification_items``:

* takes ``items`` (``{"Events": ["TicketCreate"], "Recipients": ["AgentOwner"]}``) and ``messages``
  (``{"en": {"subject": ..., "text": ..., "content_type": "text/plain"}}``) as JSON objects, or the form's
  multi-selects (``item_Events``, ``item_Recipients``, ``item_Transports``) and message rows (``message_language``,
  ``message_subject``, ``message_text``, ``message_content_type``);
* replaces them all in the write's transaction (from the form, only the item keys the form edits: the others, such as
  ``VisibleForAgent``, stay);
* reads them back for a whole page with one query per child table; deleting a notification deletes them first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup
from sqlalchemy import Connection, delete, insert, select

from goatkit.engine.forms import FormErrors
from goatkit.engine.hooks import ModuleHook, WriteContext, register
from goatkit.engine.model import ResolvedModule
from modules.admin.partials import partial
from modules.db.schema import metadata

ITEM, MESSAGE = metadata.tables["notification_event_item"], metadata.tables["notification_event_message"]
#: The events OTRS 6 raises that a notification can listen to (Kernel/Config/Files/XML/Ticket.xml, Calendar.xml).
EVENTS = (
    "TicketCreate",
    "TicketDelete",
    "TicketTitleUpdate",
    "TicketUnlockTimeoutUpdate",
    "TicketQueueUpdate",
    "TicketTypeUpdate",
    "TicketServiceUpdate",
    "TicketSLAUpdate",
    "TicketCustomerUpdate",
    "TicketPendingTimeUpdate",
    "TicketLockUpdate",
    "TicketArchiveFlagUpdate",
    "TicketStateUpdate",
    "TicketOwnerUpdate",
    "TicketResponsibleUpdate",
    "TicketPriorityUpdate",
    "HistoryAdd",
    "HistoryDelete",
    "TicketAccountTime",
    "TicketMerge",
    "TicketSubscribe",
    "TicketUnsubscribe",
    "TicketFlagSet",
    "TicketFlagDelete",
    "TicketSlaveLinkAdd",
    "TicketSlaveLinkDelete",
    "TicketMasterLinkDelete",
    "EscalationResponseTimeNotifyBefore",
    "EscalationUpdateTimeNotifyBefore",
    "EscalationSolutionTimeNotifyBefore",
    "EscalationResponseTimeStart",
    "EscalationUpdateTimeStart",
    "EscalationSolutionTimeStart",
    "EscalationResponseTimeStop",
    "EscalationUpdateTimeStop",
    "EscalationSolutionTimeStop",
    "NotificationNewTicket",
    "NotificationFollowUp",
    "NotificationLockTimeout",
    "NotificationOwnerUpdate",
    "NotificationResponsibleUpdate",
    "NotificationAddNote",
    "NotificationMove",
    "NotificationPendingReminder",
    "NotificationEscalation",
    "NotificationEscalationNotifyBefore",
    "NotificationServiceUpdate",
    "ArticleCreate",
    "ArticleUpdate",
    "ArticleSend",
    "ArticleBounce",
    "ArticleAgentNotification",
    "ArticleCustomerNotification",
    "ArticleAutoResponse",
    "ArticleFlagSet",
    "ArticleFlagDelete",
    "ArticleEmailSendingQueued",
    "ArticleEmailSendingSent",
    "ArticleEmailSendingError",
    "AppointmentCreate",
    "AppointmentUpdate",
    "AppointmentDelete",
    "AppointmentNotification",
    "CalendarCreate",
    "CalendarUpdate",
)
DYNAMIC_FIELD_EVENT = re.compile(r"(Ticket|Article)DynamicFieldUpdate_[A-Za-z0-9]+")
RECIPIENTS = (
    "AgentOwner",
    "AgentResponsible",
    "AgentWatcher",
    "AgentWritePermissions",
    "AgentMyQueues",
    "AgentMyServices",
    "AgentCreateBy",
    "Customer",
    "AllRecipientsFirstArticle",
    "AllRecipientsLastArticle",
    "AppointmentAgentReadPermissions",
    "AppointmentAgentWritePermissions",
)
TRANSPORTS = ("Email", "Web", "SMS")
FORM_KEYS = ("Events", "Recipients", "Transports")
CONTENT_TYPES = ("text/plain", "text/html")
KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Za-z]{2,4})?")
MAX_VALUE, MAX_SUBJECT = 200, 200


class NotificationItems(ModuleHook):
    """The items and messages of a notification; see the module docstring."""

    def validate(self, ctx: WriteContext) -> FormErrors:
        errors: FormErrors = {}
        items, messages = _given_items(ctx.data), _given_messages(ctx.data)
        if items is not None or ctx.old is None:
            checked, problems = _check_items(items or {})
            errors.update({"items": problems} if problems else {})
            ctx.items = checked  # type: ignore[attr-defined]
        if messages is not None or ctx.old is None:
            checked_messages, problems = _check_messages(messages or {})
            errors.update({"messages": problems} if problems else {})
            ctx.messages = checked_messages  # type: ignore[attr-defined]
        return errors

    def after_write(self, ctx: WriteContext) -> None:
        items: dict[str, list[str]] | None = getattr(ctx, "items", None)
        messages: dict[str, dict[str, str]] | None = getattr(ctx, "messages", None)
        if items is not None:
            replaced = ITEM.c.notification_id == ctx.pk
            if hasattr(ctx.data, "getlist") and "items" not in ctx.data:
                replaced = replaced & ITEM.c.event_key.in_(FORM_KEYS)  # the form edits only these keys
            ctx.conn.execute(delete(ITEM).where(replaced))
            rows = [{"event_key": k, "event_value": v} for k, values in items.items() for v in values]
            if rows:
                ctx.conn.execute(insert(ITEM), [{"notification_id": ctx.pk, **row} for row in rows])
        if messages is not None:
            ctx.conn.execute(delete(MESSAGE).where(MESSAGE.c.notification_id == ctx.pk))
            rows = [{"notification_id": ctx.pk, "language": lang, **m} for lang, m in messages.items()]
            if rows:
                ctx.conn.execute(insert(MESSAGE), rows)

    def before_delete(self, conn: Connection, module: ResolvedModule, pks: Sequence[Any], user_id: int) -> None:
        conn.execute(delete(ITEM).where(ITEM.c.notification_id.in_(list(pks))))
        conn.execute(delete(MESSAGE).where(MESSAGE.c.notification_id.in_(list(pks))))

    def extend_rows(self, conn: Connection, module: ResolvedModule, rows: list[dict[str, Any]]) -> None:
        ids = [row["id"] for row in rows if row.get("id") is not None]
        items, messages = read_children(conn, ids)
        for row in rows:
            row["items"] = items.get(row.get("id"), {})
            row["messages"] = messages.get(row.get("id"), {})

    def form_html(
        self, conn: Connection, module: ResolvedModule, record: Mapping[str, Any] | None, errors: FormErrors
    ) -> Markup:
        items, messages = read_children(conn, [record["id"]]) if record else ({}, {})
        pk = record["id"] if record else None
        stored = items.get(pk, {})
        rows = [{"language": lang, **m} for lang, m in messages.get(pk, {}).items()]
        return partial(
            "admin/notification_items.html",
            choices={"Events": EVENTS, "Recipients": RECIPIENTS, "Transports": TRANSPORTS},
            chosen={key: set(stored.get(key, [])) for key in FORM_KEYS},
            messages=[*rows, {"language": "", "subject": "", "text": "", "content_type": "text/plain"}],
            content_types=CONTENT_TYPES,
            errors=errors,
        )


def read_children(conn: Connection, ids: list[Any]) -> tuple[dict[Any, dict[str, list[str]]], dict[Any, Any]]:
    """Items (``{id: {key: [values]}}``) and messages (``{id: {language: {...}}}``): one query per table."""
    items: dict[Any, dict[str, list[str]]] = {}
    messages: dict[Any, dict[str, dict[str, str]]] = {}
    if not ids:
        return items, messages
    stmt = select(ITEM.c.notification_id, ITEM.c.event_key, ITEM.c.event_value).where(ITEM.c.notification_id.in_(ids))
    for pk, key, value in conn.execute(stmt):
        items.setdefault(pk, {}).setdefault(key, []).append(value)
    cols = (MESSAGE.c.notification_id, MESSAGE.c.language, MESSAGE.c.subject, MESSAGE.c.text, MESSAGE.c.content_type)
    for pk, language, subject, text, kind in conn.execute(select(*cols).where(MESSAGE.c.notification_id.in_(ids))):
        messages.setdefault(pk, {})[language] = {"subject": subject, "text": text, "content_type": kind}
    return items, messages


def _given_items(data: Mapping[str, Any]) -> Any:
    if "items" in data and not isinstance(data["items"], str):
        return data["items"]
    if not hasattr(data, "getlist"):
        return None
    return {key: data.getlist(f"item_{key}") for key in FORM_KEYS}


def _given_messages(data: Mapping[str, Any]) -> Any:
    if "messages" in data and not isinstance(data["messages"], str):
        return data["messages"]
    if not hasattr(data, "getlist"):
        return None
    columns = ("language", "subject", "text", "content_type")
    rows = zip(*(data.getlist(f"message_{c}") for c in columns), strict=False)
    return {lang.strip(): {"subject": s, "text": t, "content_type": ct} for lang, s, t, ct in rows if lang.strip()}


def _check_items(items: Any) -> tuple[dict[str, list[str]], list[str]]:
    if not isinstance(items, dict):
        return {}, ['Items must be an object of key: [values], such as {"Events": ["TicketCreate"]}.']
    checked: dict[str, list[str]] = {}
    for key, raw in items.items():
        values = [str(v) for v in (raw if isinstance(raw, list) else [raw]) if str(v) != ""]
        if not KEY.fullmatch(str(key)) or len(str(key)) > MAX_VALUE:
            return checked, [f"'{key}' is not a valid item key (letters, digits and _)."]
        if any(len(v) > MAX_VALUE for v in values):
            return checked, [f"The values of {key} must be at most {MAX_VALUE} characters each."]
        checked[str(key)] = list(dict.fromkeys(values))
    unknown = [e for e in checked.get("Events", []) if e not in EVENTS and not DYNAMIC_FIELD_EVENT.fullmatch(e)]
    if unknown:
        return checked, [f"Unknown event '{unknown[0]}'; events are OTRS's (TicketCreate, ArticleCreate ...)."]
    if not checked.get("Events"):
        return checked, ["Choose at least one event that sends this notification."]
    return checked, []


def _check_messages(messages: Any) -> tuple[dict[str, dict[str, str]], list[str]]:
    if not isinstance(messages, dict) or not messages:
        return {}, ["Write the notification's subject and text in at least one language."]
    checked: dict[str, dict[str, str]] = {}
    for language, message in messages.items():
        if not LANGUAGE.fullmatch(str(language)):
            return checked, [f"'{language}' is not a language code such as en, de or pt_BR."]
        if not isinstance(message, dict):
            return checked, [f"The {language} message must be an object with subject, text and content_type."]
        subject, text = str(message.get("subject") or "").strip(), str(message.get("text") or "")
        content_type = str(message.get("content_type") or "text/plain")
        problem = _message_problem(str(language), subject, text, content_type)
        if problem:
            return checked, [problem]
        checked[str(language)] = {"subject": subject, "text": text, "content_type": content_type}
    return checked, []


def _message_problem(language: str, subject: str, text: str, content_type: str) -> str:
    if not subject or len(subject) > MAX_SUBJECT:
        return f"The {language} subject is required and at most {MAX_SUBJECT} characters."
    if not text.strip():
        return f"The {language} text is required."
    if content_type not in CONTENT_TYPES:
        return f"The {language} content type must be text/plain or text/html."
    return ""


register("notification_items", NotificationItems())
