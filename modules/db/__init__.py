"""The GOTRS database: OTRS schema definitions, migrations, initial and demo data, and their commands."""

from pathlib import Path

from goatkit.db.migrate import Migrations

MIGRATIONS = Migrations(Path(__file__).resolve().parent / "migrations")

__all__ = ["MIGRATIONS"]
