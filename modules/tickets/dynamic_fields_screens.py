"""Where each dynamic field shows: OTRS's per-screen setting (0 hidden, 1 shown, 2 required), kept in the field.

OTRS keeps this in SysConfig, one hash per screen (``Ticket::Frontend::AgentTicketPhone###DynamicField`` =
``{Category: 2}``).  GOTRS keeps the same facts with the field, as the key ``Screens`` of its configuration YAML
(``Screens: {AgentTicketPhone: '2', AgentTicketZoom: '1'}``), so the dynamic field admin form edits them beside the
rest (``modules/admin/dynamic_fields.py``) and OTRS, which ignores keys it does not know, reads the field as
before.  A screen not named hides the field: a new field shows nowhere until an administrator says where.

This module has no database access (the admin hook imports it); the ticket screens ask :func:`mode`.

Example::

    parse_screens({"AgentTicketPhone": 2, "OverviewSmall": "1"})
    # ({'AgentTicketPhone': '2', 'OverviewSmall': '1'}, '')
    parse_screens({"AgentTicketZoom": 2})
    # ({}, 'Screens: AgentTicketZoom can show a field (1) or hide it (0), not require it (2).')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KEY = "Screens"
HIDDEN, SHOWN, REQUIRED = 0, 1, 2


@dataclass(frozen=True)
class Screen:
    """An OTRS frontend that shows dynamic fields; ``required``: it can require one (a form)."""

    name: str
    label: str
    required: bool
    objects: tuple[str, ...]


SCREENS: tuple[Screen, ...] = (
    Screen("AgentTicketPhone", "New phone ticket", True, ("Ticket", "Article")),
    Screen("AgentTicketEmail", "New email ticket", True, ("Ticket", "Article")),
    Screen("AgentTicketZoom", "Ticket zoom", False, ("Ticket", "Article")),
    Screen("AgentTicketFreeText", "Free fields (zoom action)", True, ("Ticket",)),
    Screen("AgentTicketNote", "Note (zoom action)", True, ("Ticket", "Article")),
    Screen("AgentTicketClose", "Close (zoom action)", True, ("Ticket",)),
    Screen("AgentTicketPending", "Pending (zoom action)", True, ("Ticket",)),
    Screen("AgentTicketSearch", "Ticket search form", False, ("Ticket", "Article")),
    Screen("OverviewSmall", "Queue view column", False, ("Ticket",)),
)
BY_NAME = {screen.name: screen for screen in SCREENS}
#: The create screen of each channel of ``/agent/tickets/new``.
CREATE = {"phone": "AgentTicketPhone", "email": "AgentTicketEmail"}
#: The screen of each zoom action that shows dynamic fields.
ACTIONS = {
    "fields": "AgentTicketFreeText",
    "note": "AgentTicketNote",
    "close": "AgentTicketClose",
    "pending": "AgentTicketPending",
}


def parse_screens(raw: Any) -> tuple[dict[str, str], str]:
    """The ``Screens`` hash to store (only screens that show the field, values as OTRS's strings) and the problem
    found (one sentence, or ``''``)."""
    if raw is None or raw == "":
        return {}, ""
    if not isinstance(raw, Mapping):
        return {}, "Screens must be an object of screen: 0 (hidden), 1 (shown) or 2 (required)."
    stored: dict[str, str] = {}
    for name, value in raw.items():
        screen = BY_NAME.get(str(name))
        if screen is None:
            return {}, f"Screens: unknown screen '{str(name)[:60]}'; known: {', '.join(BY_NAME)}."
        text = str(int(value)) if isinstance(value, bool) else str(value if value is not None else "0").strip()
        if text not in ("0", "1", "2"):
            return {}, f"Screens: {screen.name} takes 0 (hidden), 1 (shown) or 2 (required), not '{text[:20]}'."
        if text == "2" and not screen.required:
            return {}, f"Screens: {screen.name} can show a field (1) or hide it (0), not require it (2)."
        if text != "0":
            stored[screen.name] = text
    return stored, ""


def mode(config: Mapping[str, Any], screen: str) -> int:
    """How the field with this configuration appears on ``screen``: 0 hidden, 1 shown, 2 required."""
    screens = config.get(KEY)
    if not isinstance(screens, Mapping):
        return HIDDEN
    text = str(screens.get(screen, "0"))
    return int(text) if text in ("1", "2") else HIDDEN


def form_values(data: Mapping[str, Any]) -> dict[str, str] | None:
    """The admin form's screen selects (``config_screen_<Screen>``), or None when the form has none."""
    if not any(f"config_screen_{screen.name}" in data for screen in SCREENS):
        return None
    return {screen.name: str(data.get(f"config_screen_{screen.name}") or "0") for screen in SCREENS}
