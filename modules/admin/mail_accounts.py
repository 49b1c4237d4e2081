"""Mail accounts (``modules/mail_account.yaml``): the password OTRS keeps as given, and how mail is dispatched.

The mail fetcher signs in to POP3/IMAP with ``mail_account.pw``, so OTRS stores it as typed, not hashed.  The spec
therefore hides ``pw`` everywhere (never listed, shown or sent back) and offers a virtual ``password`` field; the hook
``mail_account`` copies what was typed into ``pw`` (an empty password on edit keeps the stored one) and drops ``pw``
from every row read for an answer.

Dispatching (OTRS's ``DispatchingBy``): ``Queue`` puts new mail into ``queue_id``; ``From`` (by the recipient's
system address) is stored as ``queue_id = 0``, as OTRS does.  ``imap_folder`` only applies to IMAP accounts: it
defaults to ``INBOX`` there and is stored empty for POP3.

Example (JSON)::

    {"login": "helpdesk", "password": "s3cret", "host": "mail.example.com", "account_type": "IMAPS",
     "dispatching_by": "Queue", "queue_id": 4, "trusted": false}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup
from sqlalchemy import Connection, select

from goatkit.engine.forms import FormErrors
from goatkit.engine.hooks import ModuleHook, WriteContext, register
from goatkit.engine.model import ResolvedModule
from modules.admin.partials import partial
from modules.db.schema import metadata

QUEUE = metadata.tables["queue"]
IMAP_TYPES = frozenset({"IMAP", "IMAPS", "IMAPTLS"})


class MailAccount(ModuleHook):
    """The stored-as-given password and the dispatching rule of a mail account; see the module docstring."""

    def validate(self, ctx: WriteContext) -> FormErrors:
        errors: FormErrors = {}
        password = ctx.data.get("password")
        if isinstance(password, str) and password:
            ctx.values["pw"] = password
        elif ctx.old is None:
            errors["password"] = ["Password is required: the mail fetcher signs in with it."]
        errors.update(_dispatching(ctx))
        account_type = str(ctx.values.get("account_type") or (ctx.old or {}).get("account_type") or "")
        folder = ctx.values.get("imap_folder", (ctx.old or {}).get("imap_folder"))
        if account_type in IMAP_TYPES:
            ctx.values["imap_folder"] = (folder or "").strip() or "INBOX"
        elif folder or "imap_folder" in ctx.values:
            ctx.values["imap_folder"] = ""
        return errors

    def extend_rows(self, conn: Connection, module: ResolvedModule, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row.pop("pw", None)
            if "queue_id" in row:
                row["dispatching_by"] = "Queue" if row["queue_id"] else "From"

    def form_html(
        self, conn: Connection, module: ResolvedModule, record: Mapping[str, Any] | None, errors: FormErrors
    ) -> Markup:
        return partial("admin/mail_account_note.html", editing=record is not None)


def _dispatching(ctx: WriteContext) -> FormErrors:
    old = ctx.old or {}
    given = ctx.data.get("dispatching_by")
    by = str(given) if given else ("From" if ctx.old is not None and not old.get("queue_id") else "Queue")
    if by == "From":
        ctx.values["queue_id"] = 0
        return {}
    queue_id = ctx.values.get("queue_id", old.get("queue_id"))
    if not queue_id:
        return {"queue_id": ["Choose the queue new mail goes to (or dispatch by From)."]}
    found = ctx.conn.execute(select(QUEUE.c.valid_id).where(QUEUE.c.id == queue_id)).first()
    if found is None or found.valid_id != 1:
        return {"queue_id": [f"Queue {queue_id} does not exist or is not valid."]}
    return {}


register("mail_account", MailAccount())
