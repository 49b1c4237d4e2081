"""The OTRS options the permission checks follow, read from the application's settings.

Each field has the name of the GOTRS setting that carries it; a setting the application does not (yet) define
keeps the default below.  OTRS equivalents:

============================================  =============================================================
``ticket_responsible`` (default True)          ``Ticket::Responsible``: the responsible agent has every key.
``ticket_watcher`` (default True)              ``Ticket::Watcher``: a watcher has ``ro``.
``customer_group_support`` (default False)     ``CustomerGroupSupport``: customers need the queue's group.
``customer_disable_company_ticket_access``     ``Ticket::Frontend::CustomerDisableCompanyTicketAccess``:
(default False)                                customers see only their own tickets, not their companies'.
``customer_group_always_groups`` (default ())  ``CustomerGroupAlwaysGroups``: group names every customer has
                                               (with every key) when group support is on.
============================================  =============================================================

GOTRS turns the responsible and watcher checks on by default; OTRS's own defaults for them are still to be verified
(``otrs-compat-notes.md`` section 8).  ``customer_group_always_groups`` is empty until a setting supplies it.

Example::

    options = current_options()          # in a request: from current_platform().settings
    options.customer_group_support        # False unless GOTRS_CUSTOMER_GROUP_SUPPORT=true
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from flask import has_app_context

from goatkit.platform import current_platform


@dataclass(frozen=True)
class PermissionOptions:
    ticket_responsible: bool = True
    ticket_watcher: bool = True
    customer_group_support: bool = False
    customer_disable_company_ticket_access: bool = False
    customer_group_always_groups: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Any) -> PermissionOptions:
        """Options from any settings object: each field is read from the attribute of the same name, if any."""
        defaults = cls()
        values = {f.name: getattr(settings, f.name, getattr(defaults, f.name)) for f in fields(cls)}
        values["customer_group_always_groups"] = tuple(values["customer_group_always_groups"])
        return cls(**values)


def current_options() -> PermissionOptions:
    """The options of the current app's settings; the defaults outside an app or in an app without a platform."""
    if not has_app_context():
        return PermissionOptions()
    try:
        settings = current_platform().settings
    except RuntimeError:
        return PermissionOptions()
    return PermissionOptions.from_settings(settings)
