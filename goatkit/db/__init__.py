"""Database plumbing shared by every GoatKit application: engines, migrations, backend capabilities."""

from goatkit.db.engine import backend_name, make_engine

__all__ = ["backend_name", "make_engine"]
