"""The GOTRS database: OTRS schema definitions, migrations, initial and demo data, and their commands."""

from pathlib import Path

from goatkit.db.migrate import Migrations
from goatkit.db.tables import goatkit_metadata
from modules.db.schema import metadata
from modules.db.schema.gotrs_calendar import calendar_metadata

MIGRATIONS = Migrations(Path(__file__).resolve().parent / "migrations")

#: Everything the migrations create: the OTRS schema (with GOTRS's additions), GoatKit's own tables, and GOTRS's
#: tables outside the frozen baseline (working-time calendars).
ALL_METADATA = (metadata, goatkit_metadata, calendar_metadata)

__all__ = ["ALL_METADATA", "MIGRATIONS"]
