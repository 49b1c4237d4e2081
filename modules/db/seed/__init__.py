"""Data that fills a GOTRS database: OTRS's initial rows (always) and a demo set (on request).

Example::

    with engine.begin() as conn:
        insert_initial_data(conn, admin_password="s3cret")
        seed_demo(conn)
"""

from modules.db.seed.demo import seed_demo
from modules.db.seed.initial import SeedError, insert_initial_data

__all__ = ["SeedError", "insert_initial_data", "seed_demo"]
