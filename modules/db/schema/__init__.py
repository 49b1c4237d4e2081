"""The complete OTRS database schema as SQLAlchemy Core tables: OTRS 6, the Znuny 7 additions, and GOTRS's extras.

Where it comes from
    * **OTRS 6** (``otrs-schema.xml``, 118 tables): every table, column, type, nullability, server default,
      primary key, unique constraint and index with OTRS's names, and the foreign keys.  The files per area
      (``ticket.py``, ``article.py``, ...) are generated from the XML by ``scripts/gen_schema.py`` and are the
      source of truth; the generator stays for review.  OTRS's ``groups`` table is ``permission_groups``, as in
      Znuny (its unique index keeps the name ``groups_name``).
    * **Znuny 7** (4 tables): ``acl_ticket_attribute_relations``, ``calendar_appointment_plugin``, ``smime_keys`` and
      ``mention``; Znuny's wider columns (the wider type wins), and its extra columns, nullable here.  Marked
      ``# Znuny 7`` in the files.
    * **GOTRS** (1 table, 2 columns): ``gotrs_extras.py``.  The full-text index of tickets (``gotrs_search.py``,
      revision ``0005_ticket_search``) is not in this metadata: see that module.

    So OTRS 6, Znuny 7 and Go GOTRS databases all fit this schema: 123 tables.

Types, as OTRS's own database drivers create them
    =========================  ==================  ============================  ==============
    OTRS XML                   PostgreSQL          MySQL / MariaDB               SQLite
    =========================  ==================  ============================  ==============
    SMALLINT, INTEGER, BIGINT  the same [1]        the same                      the same [2]
    DATE                       TIMESTAMP(0)        DATETIME                      DATETIME
    DECIMAL Size="10,2"        NUMERIC(10, 2)      DECIMAL(10, 2)                NUMERIC(10, 2)
    VARCHAR n <= 255           VARCHAR(n)          VARCHAR(n)                    VARCHAR(n)
    VARCHAR 255 < n < 10000    VARCHAR(n)          TEXT                          VARCHAR(n)
    VARCHAR n >= 10000         TEXT                TEXT, MEDIUMTEXT, LONGTEXT    TEXT
    LONGBLOB                   BYTEA               LONGBLOB                      BLOB
    =========================  ==================  ============================  ==============

    [1] Auto-increment keys are SMALLSERIAL, SERIAL or BIGSERIAL.  [2] Auto-increment keys are INTEGER: SQLite
    auto-increments nothing else.  On MySQL/MariaDB, TEXT holds up to 65535 bytes, MEDIUMTEXT up to 16777215.

    Foreign keys are named as OTRS names them (``fk_<table>_<column>_id``) and are ``DEFERRABLE INITIALLY
    IMMEDIATE`` where the backend supports it, so bulk loads can defer them (``goatkit.db.fk``).  ``users.valid_id``
    closes the only cycle (``valid`` rows are created by a user) and is added with ``ALTER TABLE`` after both
    tables exist.  The helpers that implement all this are in ``_types.py``.

The baseline is frozen
    These definitions are the baseline that Alembic's first revision creates.  Once that revision is released, they
    do not change: later schema changes go through new Alembic migrations (and new definition files beside these),
    not edits here.  ``scripts/gen_schema.py --check`` confirms the generated files still match the XML.

Example::

    from modules.db.schema import metadata

    metadata.create_all(engine)
    ticket = metadata.tables["ticket"]
"""

from modules.db.schema import (
    admin,
    article,
    calendars,
    customer,
    dynamic_field,
    gotrs_extras,
    gotrs_search,
    mail,
    process,
    queues,
    service,
    sysconfig,
    system,
    ticket,
    users_groups,
    webservice,
)
from modules.db.schema._types import metadata

TABLE_NAMES: tuple[str, ...] = tuple(metadata.tables)
"""The names of all tables, in definition order."""

__all__ = [
    "TABLE_NAMES",
    "admin",
    "article",
    "calendars",
    "customer",
    "dynamic_field",
    "gotrs_extras",
    "gotrs_search",
    "mail",
    "metadata",
    "process",
    "queues",
    "service",
    "sysconfig",
    "system",
    "ticket",
    "users_groups",
    "webservice",
]
