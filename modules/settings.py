"""GOTRS's own settings, on top of GoatKit's (same sources: ``GOTRS_*`` environment, YAML file, defaults).

They mirror OTRS SysConfig options where GOTRS follows OTRS behaviour, and keep OTRS's defaults.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from goatkit.auth.ldap import LdapSettings
from goatkit.settings import Settings


class GotrsSettings(Settings):
    system_id: str = Field(default="10", pattern=r"^\d{1,10}$", description="OTRS SystemID, used in ticket numbers")
    ticket_number_generator: Literal["AutoIncrement", "Date", "DateChecksum", "Random"] = Field(
        default="DateChecksum", description="OTRS Ticket::NumberGenerator: the format of new ticket numbers"
    )
    customer_group_support: bool = Field(
        default=False, description="OTRS CustomerGroupSupport: customers see only queues of their groups"
    )
    customer_disable_company_ticket_access: bool = Field(
        default=False, description="OTRS Ticket::Frontend::CustomerDisableCompanyTicketAccess"
    )
    ldap: LdapSettings | None = Field(
        default=None, description="LDAP sign-in for agents (OTRS AuthModule::LDAP); unset: database passwords only"
    )
