"""GOTRS's two realms, as OTRS has them: agents in ``users``, customers in ``customer_user``.

Agents sign in at ``/login`` and customers at ``/customer/login``, each with their own cookies
(``gotrs_agent_*``, ``gotrs_customer_*``).  Customer logins compare case-insensitively (OTRS's customer database
backend lowers both sides unless ``CaseSensitive`` is set); agent logins compare exactly, as OTRS's
``Kernel::System::Auth::DB`` does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert

from goatkit.auth.ldap import DirectoryUser
from goatkit.auth.realm import Realm
from goatkit.passwords import generate_password, hash_password
from modules.db.schema import metadata

#: OTRS's "valid" and the user that system changes are recorded as (root@localhost).
VALID = 1
SYSTEM_USER_ID = 1


def provision_agent(conn: Connection, user: DirectoryUser) -> int:
    """Create the ``users`` row for an agent LDAP knows; the random password keeps it LDAP-only."""
    now = datetime.now().replace(microsecond=0)
    first = user.attributes.get("first_name") or user.login
    last = user.attributes.get("last_name") or ""
    row = {
        "login": user.login,
        "pw": hash_password(generate_password(32)),
        "first_name": first[:100],
        "last_name": last[:100],
        "valid_id": VALID,
        "create_time": now,
        "create_by": SYSTEM_USER_ID,
        "change_time": now,
        "change_by": SYSTEM_USER_ID,
    }
    result = conn.execute(insert(metadata.tables["users"]).values(row))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


AGENT = Realm(
    name="agent",
    label="Agent",
    table="users",
    login_path="/login",
    logout_path="/logout",
    home_path="/",
    cookie_prefix="gotrs",
    provision=provision_agent,
)

CUSTOMER = Realm(
    name="customer",
    label="Customer",
    table="customer_user",
    case_insensitive_login=True,
    login_path="/customer/login",
    logout_path="/customer/logout",
    home_path="/",  # the customer portal arrives with its issue; until then customers land on the start page
    path_prefixes=("/customer", "/api/v1/customer"),
    cookie_prefix="gotrs",
)

REALMS = (AGENT, CUSTOMER)
