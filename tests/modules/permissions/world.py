"""Test data for the permission tests: a migrated OTRS database and a builder for its rows."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, event, insert

from goatkit.db import make_engine
from modules.db import MIGRATIONS
from modules.db.schema import metadata
from modules.db.seed import insert_initial_data

T = metadata.tables
NOW = datetime(2024, 3, 15, 12, 0, 0)
VALID, INVALID = 1, 2
ROOT = 1  # root@localhost
USERS_GROUP, ADMIN_GROUP = 1, 2  # OTRS's initial groups "users" and "admin"
RAW_QUEUE = 2  # OTRS's initial queue "Raw", in group "users"


class World:
    """Inserts rows with the audit columns filled in; every method returns the new row's id (or key)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._numbers = itertools.count(1)

    def _insert(self, table: str, **row: Any) -> Any:
        columns = T[table].c
        audit = {"create_time": NOW, "create_by": ROOT, "change_time": NOW, "change_by": ROOT}
        values = {**{k: v for k, v in audit.items() if k in columns}, **row}
        with self.engine.begin() as conn:
            result = conn.execute(insert(T[table]).values(**values))
            return result.inserted_primary_key[0] if result.inserted_primary_key else None

    def agent(self, login: str, *, valid: bool = True) -> int:
        valid_id = VALID if valid else INVALID
        return int(self._insert("users", login=login, pw="x", first_name=login, last_name="Agent", valid_id=valid_id))

    def group(self, name: str, *, valid: bool = True) -> int:
        return int(self._insert("permission_groups", name=name, valid_id=VALID if valid else INVALID))

    def role(self, name: str, *, valid: bool = True) -> int:
        return int(self._insert("roles", name=name, valid_id=VALID if valid else INVALID))

    def queue(self, name: str, group_id: int, *, valid: bool = True) -> int:
        return int(
            self._insert(
                "queue",
                name=name,
                group_id=group_id,
                system_address_id=1,
                salutation_id=1,
                signature_id=1,
                follow_up_id=1,
                follow_up_lock=0,
                valid_id=VALID if valid else INVALID,
            )
        )

    def grant(self, user_id: int, group_id: int, *keys: str) -> None:
        for key in keys:
            self._insert("group_user", user_id=user_id, group_id=group_id, permission_key=key)

    def role_grant(self, role_id: int, group_id: int, key: str, value: int = 1) -> None:
        self._insert("group_role", role_id=role_id, group_id=group_id, permission_key=key, permission_value=value)

    def assign_role(self, user_id: int, role_id: int) -> None:
        self._insert("role_user", user_id=user_id, role_id=role_id)

    def ticket(
        self,
        queue_id: int,
        *,
        owner: int = ROOT,
        responsible: int = ROOT,
        customer_user_id: str | None = None,
        customer_id: str | None = None,
    ) -> int:
        number = next(self._numbers)
        return int(
            self._insert(
                "ticket",
                tn=f"2024031510{number:06d}",
                title=f"Ticket {number}",
                queue_id=queue_id,
                ticket_lock_id=1,
                user_id=owner,
                responsible_user_id=responsible,
                ticket_priority_id=3,
                ticket_state_id=1,
                customer_id=customer_id,
                customer_user_id=customer_user_id,
                timeout=0,
                until_time=0,
                escalation_time=0,
                escalation_update_time=0,
                escalation_response_time=0,
                escalation_solution_time=0,
                archive_flag=0,
            )
        )

    def watch(self, ticket_id: int, user_id: int) -> None:
        self._insert("ticket_watcher", ticket_id=ticket_id, user_id=user_id)

    def company(self, customer_id: str) -> str:
        self._insert("customer_company", customer_id=customer_id, name=f"{customer_id} Ltd", valid_id=VALID)
        return customer_id

    def customer(self, login: str, customer_id: str) -> str:
        self._insert(
            "customer_user",
            login=login,
            email=f"{login}@example.com",
            customer_id=customer_id,
            first_name=login,
            last_name="Customer",
            valid_id=VALID,
        )
        return login

    def extra_company(self, login: str, customer_id: str) -> None:
        self._insert("customer_user_customer", user_id=login, customer_id=customer_id)

    def customer_group(self, login: str, group_id: int, key: str, value: int = 1) -> None:
        self._insert(
            "group_customer_user", user_id=login, group_id=group_id, permission_key=key, permission_value=value
        )

    def company_group(
        self, customer_id: str, group_id: int, key: str, context: str = "Ticket::CustomerID::Same", value: int = 1
    ) -> None:
        self._insert(
            "group_customer",
            customer_id=customer_id,
            group_id=group_id,
            permission_key=key,
            permission_value=value,
            permission_context=context,
        )


def make_database(url: str) -> Engine:
    engine = make_engine(url)
    MIGRATIONS.upgrade(engine)
    with engine.begin() as conn:
        insert_initial_data(conn, admin_password="admin password")
    return engine


class StatementCounter:
    """Counts the SQL statements an engine runs, leaving out transaction control (SQLite's BEGIN)."""

    def __init__(self, engine: Engine) -> None:
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.strip().upper() not in {"BEGIN", "COMMIT", "ROLLBACK"}:
            self.statements.append(statement)

    def __len__(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()
