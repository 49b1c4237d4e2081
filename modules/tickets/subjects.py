"""Ticket subjects as OTRS builds them: ``Re: [Ticket#2024010110000012] Printer`` (``TicketSubjectBuild``).

:func:`clean` is OTRS's ``TicketSubjectClean``: it removes the ticket's own hook and number (with or without
brackets, ``Ticket#: N`` and ``Ticket#:N`` too), then repeated leading ``Re:``/``Re[2]:`` and ``Fwd:`` prefixes
(case-insensitive), trims, and cuts to ``Ticket::SubjectSize`` characters plus `` [...]``.  :func:`build` puts the
hook in front (``Left``, the default), behind (``Right``) or nowhere (``None``), after ``Re: `` or ``Fwd: ``
for replies and forwards; "new" subjects get no prefix.

Example::

    build("2024010110000012", "RE: [Ticket#2024010110000012] Printer", "reply", options)
    # 'Re: [Ticket#2024010110000012] Printer'
    build("2024010110000012", "Printer", "new", options)   # '[Ticket#2024010110000012] Printer'
"""

from __future__ import annotations

import re
from typing import Literal

from modules.tickets.options import TicketOptions

Action = Literal["new", "reply", "forward"]


def clean(tn: str, subject: str, options: TicketOptions, *, size: int | None = None) -> str:
    """The subject without this ticket's number and leading Re:/Fwd: prefixes, cut to ``size`` (0: no cut)."""
    hook, divider = re.escape(options.ticket_hook), re.escape(options.ticket_hook_divider)
    number = re.escape(tn)
    text = subject or ""
    for inner in (rf"{hook}: {number}", rf"{hook}:{number}", rf"{hook}{divider}{number}"):
        text = re.sub(rf"\[\s*{inner}\s*\]\s*", "", text)
    for inner in (rf"{hook}: {number}", rf"{hook}:{number}", rf"{hook}{divider}{number}"):
        text = re.sub(rf"{inner}\s*", "", text)
    if options.subject_re:
        text = re.sub(rf"^({re.escape(options.subject_re)}(\[\d+\])?:\s)+", "", text, flags=re.IGNORECASE)
    if options.subject_fwd:
        text = re.sub(rf"^({re.escape(options.subject_fwd)}(\[\d+\])?:\s)+", "", text, flags=re.IGNORECASE)
    text = text.strip()
    limit = options.subject_size if size is None else size
    if limit and len(text) > limit:
        text = text[:limit] + " [...]"
    return text


def build(tn: str, subject: str, action: Action, options: TicketOptions, *, cleanup: bool = True) -> str:
    """OTRS's TicketSubjectBuild for a new ticket, a reply or a forward."""
    text = clean(tn, subject, options) if cleanup else subject
    tag = f"[{options.hook}{tn}]"
    style = options.subject_format.lower()
    prefix = ""
    if action != "new":
        word = options.subject_re if action == "reply" else options.subject_fwd
        prefix = f"{word}: " if word else ""
    if style == "none":
        return f"{prefix}{text}"
    if style == "right":
        return f"{prefix}{text} {tag}"
    return f"{prefix}{tag} {text}"
