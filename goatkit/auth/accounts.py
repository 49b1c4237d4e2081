"""Reading and updating a realm's user rows, through the column names the :class:`~goatkit.auth.realm.Realm` gives.

Example::

    with engine.connect() as conn:
        account = find_account(conn, AGENT, "root@localhost")
    account.name     # 'Admin OTRS'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, TableClause, column, func, select, table, update

from goatkit.auth.realm import Realm


@dataclass(frozen=True)
class Account:
    """A user row as sign-in needs it."""

    id: Any
    login: str
    password_hash: str | None
    name: str
    valid: bool

    def as_json(self, realm: Realm) -> dict[str, Any]:
        return {"id": self.id, "login": self.login, "name": self.name, "realm": realm.name}


def realm_table(realm: Realm) -> TableClause:
    """A lightweight description of the realm's table: only the columns sign-in reads."""
    names = {realm.id_column, realm.login_column, realm.password_column, realm.valid_column, *realm.name_columns}
    return table(realm.table, *(column(name) for name in sorted(names)))


def find_account(conn: Connection, realm: Realm, login: str) -> Account | None:
    """The user whose login is ``login`` (case-insensitively if the realm says so), valid or not."""
    users = realm_table(realm)
    login_col = users.c[realm.login_column]
    condition = func.lower(login_col) == login.lower() if realm.case_insensitive_login else login_col == login
    row = conn.execute(select(users).where(condition).order_by(users.c[realm.id_column]).limit(1)).mappings().first()
    return _account(realm, row) if row else None


def get_account(conn: Connection, realm: Realm, account_id: Any) -> Account | None:
    """The user with primary key ``account_id``, valid or not."""
    users = realm_table(realm)
    row = conn.execute(select(users).where(users.c[realm.id_column] == account_id)).mappings().first()
    return _account(realm, row) if row else None


def store_password_hash(conn: Connection, realm: Realm, account_id: Any, password_hash: str) -> None:
    """Replace the stored hash (re-hashing a legacy hash to argon2id after a successful sign-in)."""
    users = realm_table(realm)
    conn.execute(
        update(users).where(users.c[realm.id_column] == account_id).values({realm.password_column: password_hash})
    )


def _account(realm: Realm, row: Any) -> Account:
    name = " ".join(str(row[col]).strip() for col in realm.name_columns if row[col]).strip()
    return Account(
        id=row[realm.id_column],
        login=row[realm.login_column],
        password_hash=row[realm.password_column],
        name=name or row[realm.login_column],
        valid=row[realm.valid_column] in realm.valid_values,
    )
