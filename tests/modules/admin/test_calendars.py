"""The working-time calendars admin module: rules are checked as escalation reads them; a good calendar counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from modules.db.schema.gotrs_calendar import gotrs_calendar
from modules.tickets.calendars import load_calendars
from tests.modules.admin import AdminApi


def test_the_default_calendar_is_seeded_as_otrs_defaults(api: AdminApi) -> None:
    with api.desk.engine.connect() as conn:
        row = conn.execute(select(gotrs_calendar).where(gotrs_calendar.c.name == "")).one()
        calendars = load_calendars(conn)
    assert (row.time_zone, row.hours_mon, row.hours_fri, row.hours_sat) == ("UTC", "08:00-21:00", "08:00-21:00", "")
    default = calendars.get(None)
    assert default.add(datetime(2026, 12, 24, 20, 0), 3600) == datetime(2026, 12, 28, 9, 0)  # 24-26 Dec off


def test_bad_rules_are_refused_field_by_field(api: AdminApi) -> None:
    refused = api.post(
        "/calendar",
        json={
            "name": "7",
            "time_zone": "Mars/Olympus",
            "hours_mon": "8-17",
            "holidays": "25.12. Christmas",
            "one_time_holidays": "2026-02-30 Nope",
        },
    )
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {
        "hours_mon": ["'8-17' is not a range of hours like 08:00-17:00."],
        "holidays": ["'25.12. Christmas' is not a holiday like '12-25 Christmas' (month-day, then a name)."],
        "one_time_holidays": ["'2026-02-30 Nope' names a date that does not exist."],
        "time_zone": ["'Mars/Olympus' is not a time zone name such as UTC or Europe/Berlin."],
    }
    idle = {f"hours_{day}": "" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    none = api.post("/calendar", json={"name": "8", "time_zone": "UTC", **idle})
    assert none.get_json()["errors"] == {
        "hours_mon": ["Give working hours for at least one weekday, such as 08:00-17:00."]
    }


def test_a_saved_calendar_is_what_escalation_counts_in(api: AdminApi) -> None:
    created = api.post(
        "/calendar",
        json={
            "name": " 1 ",
            "time_zone": "Europe/Berlin",
            "hours_mon": "09:00-12:00, 13:00-17:00",
            "hours_tue": "09:00-17:00",
            "hours_wed": "",
            "hours_thu": "",
            "hours_fri": "",
            "holidays": "",
            "one_time_holidays": "2026-01-06 Epiphany",
        },
    )
    assert created.status_code == 201, created.get_json()
    with api.desk.engine.connect() as conn:
        calendar = load_calendars(conn).get("1")
    # Monday 5 January 2026, 11:00 Berlin (10:00 UTC): 1h before lunch, 2h after -> 15:00 Berlin = 14:00 UTC;
    # 8h more: Monday's last 2h, Tuesday the 6th is off, Wednesday to Sunday too; the next Monday 3h before lunch
    # and 3h after -> 16:00 Berlin = 15:00 UTC
    assert calendar.add(datetime(2026, 1, 5, 10, 0), 3 * 3600) == datetime(2026, 1, 5, 14, 0)
    assert calendar.add(datetime(2026, 1, 5, 14, 0), 8 * 3600) == datetime(2026, 1, 12, 15, 0)
