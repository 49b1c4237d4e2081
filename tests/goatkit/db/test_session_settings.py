"""postgres_settings: a setting for one block on PostgreSQL, reset afterwards (also after a failure); elsewhere a
no-op; never a name or value that is not a plain constant."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError

from goatkit.db.session_settings import postgres_settings


def test_the_setting_holds_inside_the_block_only(db_url: str) -> None:
    engine = create_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if conn.dialect.name != "postgresql":
                seen: list[str] = []
                with postgres_settings(conn, work_mem="32MB"):
                    seen.append("ran")
                assert seen == ["ran"]  # nothing to set on SQLite
                return
            before = conn.exec_driver_sql("SHOW work_mem").scalar()
            with postgres_settings(conn, work_mem="32MB", join_collapse_limit=1):
                assert conn.exec_driver_sql("SHOW work_mem").scalar() == "32MB"
                assert conn.exec_driver_sql("SHOW join_collapse_limit").scalar() == "1"
            assert conn.exec_driver_sql("SHOW work_mem").scalar() == before
            with pytest.raises(DBAPIError), postgres_settings(conn, work_mem="32MB"):
                conn.exec_driver_sql("SELECT 1/0")
            assert conn.exec_driver_sql("SHOW work_mem").scalar() == before  # reset after the failure too
            assert conn.exec_driver_sql("SHOW join_collapse_limit").scalar() == "8"
    finally:
        engine.dispose()


@pytest.mark.parametrize("setting", [{"work_mem; DROP TABLE x": "1"}, {"work_mem": "1'; DROP TABLE x; --"}])
def test_anything_but_plain_names_and_values_is_refused(postgres_url: str, setting: dict[str, str]) -> None:
    engine = create_engine(postgres_url)
    try:
        with (
            engine.connect() as conn,
            pytest.raises(ValueError, match="refusing setting"),
            postgres_settings(conn, **setting),
        ):
            pass
    finally:
        engine.dispose()
