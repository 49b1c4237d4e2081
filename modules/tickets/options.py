"""The OTRS SysConfig options the ticket domain follows, with OTRS 6's defaults.

Each field is read from the application's settings attribute of the same name when it exists (``system_id`` and
``ticket_number_generator`` are GOTRS settings); the others keep the OTRS default until a setting supplies them.
Outside an app (CLI, worker processes, tests) the defaults apply unless options are passed explicitly.

==============================  ===========================  ==================================================
field                           OTRS option                  default
==============================  ===========================  ==================================================
``system_id``                   ``SystemID``                 ``"10"``
``ticket_number_generator``     ``Ticket::NumberGenerator``  ``"DateChecksum"``
``ticket_hook``                 ``Ticket::Hook``             ``"Ticket#"``
``ticket_hook_divider``         ``Ticket::HookDivider``      ``""``
``subject_re`` / ``_fwd``       ``Ticket::SubjectRe/Fwd``    ``"Re"`` / ``"Fwd"``
``subject_format``              ``Ticket::SubjectFormat``    ``"Left"`` (or ``"Right"``, ``"None"``)
``subject_size``                ``Ticket::SubjectSize``      ``100``
``ticket_type_default``         ``Ticket::Type::Default``    ``"Unclassified"``
``unlock_state_types``          ``Ticket::UnlockStateType``  ``("new", "open")``
==============================  ===========================  ==================================================

Example::

    options = TicketOptions.current()            # in a request: from current_platform().settings
    options.generator().create(1, date(2024, 1, 1))   # '2024010110000012'
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from flask import has_app_context

from goatkit.platform import current_platform
from modules.tickets.numbers import TicketNumberGenerator, get_generator


@dataclass(frozen=True)
class TicketOptions:
    system_id: str = "10"
    ticket_number_generator: str = "DateChecksum"
    ticket_hook: str = "Ticket#"
    ticket_hook_divider: str = ""
    subject_re: str = "Re"
    subject_fwd: str = "Fwd"
    subject_format: str = "Left"
    subject_size: int = 100
    ticket_type_default: str = "Unclassified"
    unlock_state_types: tuple[str, ...] = ("new", "open")

    @classmethod
    def from_settings(cls, settings: Any) -> TicketOptions:
        """Options from any settings object: each field from the attribute of the same name, if it has one."""
        defaults = cls()
        values = {f.name: getattr(settings, f.name, getattr(defaults, f.name)) for f in fields(cls)}
        values["unlock_state_types"] = tuple(values["unlock_state_types"])
        return cls(**values)

    @classmethod
    def current(cls) -> TicketOptions:
        """The current app's options; the defaults outside an app or in an app without a platform."""
        if not has_app_context():
            return cls()
        try:
            return cls.from_settings(current_platform().settings)
        except RuntimeError:
            return cls()

    def generator(self) -> TicketNumberGenerator:
        """The ticket number generator these options choose, with this SystemID."""
        return get_generator(self.ticket_number_generator, self.system_id)

    @property
    def hook(self) -> str:
        """The hook and divider as they appear before a number in subjects: ``Ticket#``."""
        return f"{self.ticket_hook}{self.ticket_hook_divider}"
