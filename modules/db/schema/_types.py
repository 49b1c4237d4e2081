"""A small vocabulary for OTRS tables, so the table files read like OTRS's own schema XML.

Each helper takes OTRS's type and size and returns the SQLAlchemy column that OTRS's database drivers would create:
``varchar("a_body", 1800000, nullable=True)`` becomes ``TEXT`` on PostgreSQL and SQLite and ``MEDIUMTEXT`` on
MySQL/MariaDB.  The mapping lives here once, not in 123 table definitions.

Conventions, chosen because they are OTRS's:

* Columns are ``NOT NULL`` unless ``nullable=True`` (``Required="true"`` is by far the common case in OTRS).
* Integer primary keys auto-increment (``autoincrement=False`` says otherwise), as OTRS's all do.
* ``references="users"`` adds a foreign key to ``users.id``.  Every foreign key is ``DEFERRABLE INITIALLY
  IMMEDIATE`` (PostgreSQL and SQLite honour it, so bulk loads can defer the checks) and is named as OTRS names it:
  ``fk_<table>_<column>_<referred column>``, shortened with an MD5 suffix above 60 characters
  (:func:`otrs_fk_name`).
* Unique constraints and indexes always carry OTRS's names.  ``mysql_length`` gives the prefix length OTRS uses for
  indexes over long text columns on MySQL/MariaDB.

Example::

    queue = table(
        "queue",
        integer("id", primary_key=True),
        varchar("name", 200),
        integer("group_id", references="permission_groups"),
        *audit_columns(),
        unique("queue_name", "name"),
    )
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.types import TypeEngine

MYSQL = ("mysql", "mariadb")
"""Dialect names of the MySQL family: a ``mysql://`` URL is "mysql" even on MariaDB, a ``mariadb://`` URL is not."""

VARCHAR_MAX = 255
"""Above this size OTRS's MySQL driver uses TEXT types instead of VARCHAR."""

UNBOUNDED_FROM = 10_000
"""From this size on OTRS's PostgreSQL driver uses TEXT instead of VARCHAR(n)."""

FK_NAME_MAX = 60
"""OTRS shortens foreign-key names longer than this (see :func:`otrs_fk_name`)."""


def otrs_fk_name(table: str, column: str, referred_column: str) -> str:
    """Return the name OTRS gives the foreign key on ``table.column``, lower-cased.

    OTRS names it ``FK_<table>_<column>_<referred column>``; a name longer than 60 characters keeps its first 58
    characters plus the first and last hex digit of the full name's MD5, so it fits every backend's limit.

    >>> otrs_fk_name("queue", "group_id", "id")
    'fk_queue_group_id_id'
    >>> otrs_fk_name("sysconfig_modified_version", "sysconfig_default_version_id", "id")
    'fk_sysconfig_modified_version_sysconfig_default_version_idaf'
    """
    name = f"FK_{table}_{column}_{referred_column}"
    if len(name) > FK_NAME_MAX:
        digest = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()
        name = name[:58] + digest[0] + digest[-1]
    return name.lower()


def _fk_name_token(constraint: Any, table: Table) -> str:
    # The referred column comes from the target spec ("users.id"): the referred table may not be defined yet.
    fk = constraint.elements[0]
    return otrs_fk_name(table.name, fk.parent.name, fk.target_fullname.rsplit(".", 1)[-1])


metadata = MetaData(naming_convention={"fk": "%(otrs_fk_name)s", "otrs_fk_name": _fk_name_token})
"""The one MetaData holding every GOTRS table; foreign keys are named by OTRS's rule."""


@compiles(ForeignKeyConstraint, *MYSQL)
def _foreign_key_without_deferrability(constraint: ForeignKeyConstraint, compiler: DDLCompiler, **kw: Any) -> str:
    """Render foreign keys without DEFERRABLE/INITIALLY, which MySQL and MariaDB reject as syntax errors.

    MySQL cannot defer constraint checks at all; bulk loads switch them off instead (``goatkit.db.fk``).
    """
    return (
        compiler.define_constraint_preamble(constraint, **kw)
        + compiler.define_foreign_key_body(constraint, **kw)
        + compiler.define_constraint_cascades(constraint)
    )


# --- types -----------------------------------------------------------------------------------------------------


def _mysql_text(size: int) -> TypeEngine[str]:
    if size <= 65_535:
        return mysql.TEXT()
    if size <= 16_777_215:
        return mysql.MEDIUMTEXT()
    return mysql.LONGTEXT()


def varchar_type(size: int) -> TypeEngine[str]:
    """OTRS ``VARCHAR Size=n``: VARCHAR(n); TEXT from 10000 (MySQL/MariaDB: TEXT types above 255)."""
    if size <= VARCHAR_MAX:
        return String(size)
    base: TypeEngine[str] = String(size) if size < UNBOUNDED_FROM else Text()
    return base.with_variant(_mysql_text(size), *MYSQL)


def datetime_type() -> TypeEngine[Any]:
    """OTRS ``DATE``: a date and time in whole seconds (DATETIME, PostgreSQL ``TIMESTAMP(0)``)."""
    return DateTime().with_variant(postgresql.TIMESTAMP(precision=0), "postgresql")


def longblob_type() -> TypeEngine[bytes]:
    """OTRS ``LONGBLOB``: LONGBLOB on MySQL/MariaDB, ``bytea`` on PostgreSQL, BLOB on SQLite."""
    return LargeBinary().with_variant(mysql.LONGBLOB(), *MYSQL)


# --- columns ---------------------------------------------------------------------------------------------------


def _column(
    name: str,
    type_: TypeEngine[Any],
    *,
    primary_key: bool = False,
    autoincrement: bool = True,
    nullable: bool = False,
    default: str | int | None = None,
    references: str | None = None,
    use_alter: bool = False,
) -> Column[Any]:
    items: list[Any] = []
    if references is not None:
        target = references if "." in references else f"{references}.id"
        items.append(ForeignKey(target, deferrable=True, initially="IMMEDIATE", use_alter=use_alter))
    options: dict[str, Any] = {"nullable": nullable and not primary_key}
    if primary_key:
        # Integer primary keys auto-increment unless told otherwise; OTRS's two text keys never do.
        options["primary_key"] = True
        options["autoincrement"] = autoincrement and isinstance(type_, Integer)
        if options["autoincrement"]:
            # SQLite only auto-increments a column declared exactly "INTEGER PRIMARY KEY" (a rowid alias).
            type_ = type_.with_variant(Integer(), "sqlite")
    if default is not None:
        options["server_default"] = text(str(default)) if isinstance(default, int) else default
    return Column(name, type_, *items, **options)


def smallint(name: str, **options: Any) -> Column[int]:
    """OTRS ``SMALLINT``."""
    return _column(name, SmallInteger(), **options)


def integer(name: str, **options: Any) -> Column[int]:
    """OTRS ``INTEGER``."""
    return _column(name, Integer(), **options)


def bigint(name: str, **options: Any) -> Column[int]:
    """OTRS ``BIGINT``."""
    return _column(name, BigInteger(), **options)


def varchar(name: str, size: int, **options: Any) -> Column[str]:
    """OTRS ``VARCHAR Size=size`` (see :func:`varchar_type`)."""
    return _column(name, varchar_type(size), **options)


def datetime(name: str, **options: Any) -> Column[Any]:
    """OTRS ``DATE``, which holds a date and time (see :func:`datetime_type`)."""
    return _column(name, datetime_type(), **options)


def decimal(name: str, precision: int, scale: int, **options: Any) -> Column[Any]:
    """OTRS ``DECIMAL Size="precision,scale"``."""
    return _column(name, Numeric(precision, scale), **options)


def longblob(name: str, **options: Any) -> Column[bytes]:
    """OTRS ``LONGBLOB`` (see :func:`longblob_type`)."""
    return _column(name, longblob_type(), **options)


def audit_columns(*, references_users: bool = True) -> tuple[Column[Any], ...]:
    """The four columns nearly every OTRS table ends with: who created and last changed the row, and when."""
    users = "users" if references_users else None
    return (
        datetime("create_time"),
        integer("create_by", references=users),
        datetime("change_time"),
        integer("change_by", references=users),
    )


# --- constraints and tables ------------------------------------------------------------------------------------


def unique(name: str, *columns: str) -> UniqueConstraint:
    """A unique constraint with OTRS's name."""
    return UniqueConstraint(*columns, name=name)


def index(name: str, *columns: str, mysql_length: dict[str, int] | None = None) -> Index:
    """An index with OTRS's name; ``mysql_length`` is the MySQL/MariaDB prefix length of long text columns."""
    if not mysql_length:
        return Index(name, *columns)
    return Index(name, *columns, mysql_length=mysql_length, mariadb_length=mysql_length)


def table(name: str, *items: Any) -> Table:
    """Define a table in :data:`metadata`; on MySQL/MariaDB it uses InnoDB, the engine with foreign keys."""
    result = Table(name, metadata, *items, mysql_engine="InnoDB", mariadb_engine="InnoDB")
    if any(fk.use_alter for fk in result.foreign_key_constraints):
        event.listen(result, "before_create", _keep_use_alter_inline_without_alter)
    return result


def _keep_use_alter_inline_without_alter(target: Table, connection: Connection, **_kw: Any) -> None:
    """Let SQLite create ``use_alter`` foreign keys inline even after another backend added them by ALTER TABLE.

    Adding a constraint by ALTER TABLE marks it, for good, as "never inline" (SQLAlchemy's ``AddConstraint``
    ``isolate_from_table``).  A process that created the schema on PostgreSQL and then on SQLite, which has no
    ALTER for constraints, would lose ``users.valid_id``'s foreign key without a word; the tests do exactly that.
    """
    if not connection.dialect.supports_alter:
        for fk in target.foreign_key_constraints:
            if fk.use_alter:
                fk._create_rule = None  # SQLAlchemy's private switch behind isolate_from_table
