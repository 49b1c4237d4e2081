"""Jobs as OTRS stores them (generic_agent_jobs key/value rows), validation, and the schedule grid."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from modules.automation.model import Actions, Conditions, Job, TimeCondition, TimePoint, error_messages
from modules.automation.schedule import GRACE, describe, is_due, latest_point
from modules.automation.storage import from_rows, to_rows

LONG_LAMBDA = "// " + "x" * 450 + "\nreturn item.queue === 'Raw';"


def full_job() -> Job:
    return Job(
        name="VIP outage",
        schedule_days=[1, 5],
        schedule_hours=[8, 17],
        schedule_minutes=[0, 30],
        events=["TicketCreate", "ArticleCreate"],
        run_as=7,
        conditions=Conditions(
            queue_ids=[2, 4],
            state_type_ids=[1, 2],
            title="outage",
            subject="down*",
            customer_id="ACME",
            created=TimePoint(start="Before", amount=2, unit="hour"),
            escalation=TimePoint(start="Next", amount=30, unit="minute"),
            pending=TimePoint(start="Next", amount=2, unit="day"),
            escalation_solution=TimePoint(start="Last", amount=1, unit="hour"),
            lambda_code=LONG_LAMBDA,
        ),
        actions=Actions(
            priority_id=5,
            state_id=6,
            pending_amount=3,
            pending_unit=86400,
            note_body="Escalated.\n" + "y" * 300,
            note_subject="Auto",
            lock_id=2,
            service_id=8,
            sla_id=9,
            delete=False,
        ),
        unknown={"SearchInArchive": ["AllTickets"]},
    )


def test_rows_use_otrs_keys_and_round_trip() -> None:
    job = full_job()
    rows = to_rows(job)
    assert ("Valid", "1") in rows
    assert [v for k, v in rows if k == "QueueIDs"] == ["2", "4"]
    assert [v for k, v in rows if k == "EventValues"] == ["ArticleCreate", "TicketCreate"]
    assert [v for k, v in rows if k == "ScheduleDays"] == ["1", "5"]
    assert ("NewPriorityID", "5") in rows and ("NewStateID", "6") in rows and ("NewLockID", "2") in rows
    assert ("NewPendingTime", "3") in rows and ("NewPendingTimeType", "86400") in rows
    assert ("NewServiceID", "8") in rows and ("NewSLAID", "9") in rows
    assert ("Title", "outage") in rows and ("MIMEBase_Subject", "down*") in rows and ("CustomerID", "ACME") in rows
    assert ("TimeSearchType", "TimePoint") in rows and ("TicketCreateTimePoint", "2") in rows
    assert ("TicketCreateTimePointStart", "Before") in rows and ("TicketCreateTimePointFormat", "hour") in rows
    assert ("EscalationTimeSearchType", "TimePoint") in rows and ("TicketEscalationTimePointStart", "Next") in rows
    assert ("TimePendingSearchType", "TimePoint") in rows and ("TicketPendingTimePoint", "2") in rows
    assert ("EscalationSolutionTimeSearchType", "TimePoint") in rows
    assert ("TicketEscalationSolutionTimePointFormat", "hour") in rows
    assert ("GotrsUserID", "7") in rows and ("SearchInArchive", "AllTickets") in rows
    assert all(len(value) <= 200 for _key, value in rows)  # VARCHAR(200): long values are split
    assert [k for k, _v in rows if k.startswith("GotrsConditionLambda")] == [
        "GotrsConditionLambda",
        "GotrsConditionLambda::2",
        "GotrsConditionLambda::3",
    ]
    back = from_rows(job.name, reversed(rows))  # the database returns rows in any order
    assert back.model_dump(exclude={"last_run"}) == job.model_dump(exclude={"last_run"})


def test_an_otrs_job_reads_and_unsupported_settings_are_named() -> None:
    rows = [
        ("Valid", "1"),
        ("ScheduleDays", "1"),
        ("ScheduleHours", "10"),
        ("ScheduleMinutes", "0"),
        ("StateIDs", "1"),
        ("StateIDs", "4"),
        ("NewNoteBody", "Checked by the agent."),
        ("NewNoteSubject", "Check"),
        ("ScheduleLastRun", "2024-03-15 10:00:02"),
        ("ScheduleLastRunUnixTime", "1710496802"),
        ("TicketCreateTimeTimePoint", "1"),
        ("ChangeTimeSearchType", "TimeSlot"),
        ("TicketChangeTimeStartDay", "3"),
        ("NewModule", ""),
    ]
    job = from_rows("Nightly", rows)
    assert job.conditions.state_ids == [1, 4] and job.actions.note_body == "Checked by the agent."
    assert job.last_run.scheduled_at == datetime(2024, 3, 15, 10, 0, 2)
    assert job.unsupported() == ["ChangeTimeSearchType", "TicketChangeTimeStartDay", "TicketCreateTimeTimePoint"]
    assert ("NewModule", "") in to_rows(job)  # kept as it was


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": " "}, "name", "The name is empty."),
        ({"schedule_days": [1]}, "schedule", "A schedule needs days, hours and minutes (or none of them)."),
        (
            {"schedule_days": [1], "schedule_hours": [2], "schedule_minutes": [0], "conditions": {}},
            "conditions",
            "A scheduled job needs at least one condition, or it would change every ticket.",
        ),
        ({"actions": {}}, "actions", "Choose at least one action."),
        ({"events": ["TicketExplode"]}, "events", "There is no ticket event 'TicketExplode'."),
        ({"schedule_hours": [24]}, "schedule_hours", "24 is not a hour (0 to 23)."),
        ({"actions": {"note_subject": "Hi", "priority_id": 2}}, "actions.note_body", "A note needs a body."),
        ({"actions": {"priority_id": "high"}}, "actions.priority_id", "Give a whole number."),
        ({"conditions": {"created": {"amount": 0}}}, "conditions.created.point.amount", "Give at least 1."),
        (
            {"conditions": {"changed": {"amount": 2, "start": "After"}}},
            "conditions.changed",
            "Choose more than, within the last or within the next.",
        ),
    ],
)
def test_validation_names_the_field(data: dict[str, object], field: str, message: str) -> None:
    values = {"name": "Job", "conditions": {"queue_ids": [2]}, "actions": {"priority_id": 5}, **data}
    with pytest.raises(ValidationError) as caught:
        Job.model_validate(values)
    assert error_messages(caught.value)[field] == message


def _scheduled(**last: object) -> Job:
    job = Job(
        name="Twice a day",
        schedule_days=[5],  # Friday
        schedule_hours=[10, 16],
        schedule_minutes=[0, 30],
        conditions=Conditions(queue_ids=[2]),
        actions=Actions(priority_id=5),
    )
    return job.model_copy(update={"last_run": job.last_run.model_copy(update=last)})


def test_schedule_grid_and_due() -> None:
    friday = datetime(2024, 3, 15, 10, 7)  # 2024-03-15 is a Friday
    assert latest_point(_scheduled(), friday) == datetime(2024, 3, 15, 10, 0)
    assert latest_point(_scheduled(), datetime(2024, 3, 15, 9, 59)) == datetime(2024, 3, 8, 16, 30)
    assert latest_point(_scheduled(), datetime(2024, 3, 18, 8, 0)) == datetime(2024, 3, 15, 16, 30)
    assert is_due(_scheduled(), friday)  # never ran, point within the grace
    assert not is_due(_scheduled(), datetime(2024, 3, 15, 10, 0) + GRACE + GRACE)  # never ran, point long ago
    assert not is_due(_scheduled(scheduled_at=datetime(2024, 3, 15, 10, 0, 5)), friday)  # ran at that point
    assert is_due(_scheduled(scheduled_at=datetime(2024, 3, 15, 9, 0)), friday)
    assert is_due(_scheduled(scheduled_at=datetime(2024, 3, 1)), datetime(2024, 3, 16, 3, 0))  # catches up once
    assert not is_due(_scheduled().model_copy(update={"valid": False}), friday)
    assert describe(_scheduled()) == "Fri at 10:00, 10:30, 16:00, 16:30"


def test_dynamic_fields_use_otrs_keys_one_row_per_value() -> None:
    job = Job(
        name="Fields",
        conditions=Conditions(queue_ids=[2], dynamic_fields={"Category": ["hw", " sw ", "", "hw"], "Empty": [""]}),
        actions=Actions(dynamic_fields={"Flag": ["1"], "Tags": ["a", "b"]}),
    )
    assert job.conditions.dynamic_fields == {"Category": ["hw", "sw"]}  # blank values and fields dropped
    rows = to_rows(job)
    assert [v for k, v in rows if k == "Search_DynamicField_Category"] == ["hw", "sw"]
    assert [v for k, v in rows if k == "DynamicField_Tags"] == ["a", "b"] and ("DynamicField_Flag", "1") in rows
    back = from_rows(job.name, reversed(rows))
    assert back.conditions.dynamic_fields == {"Category": ["sw", "hw"]}  # as the rows came; any of them matches
    assert back.actions.dynamic_fields == {"Flag": ["1"], "Tags": ["b", "a"]} and back.unknown == {}
    assert Conditions(dynamic_fields={"Empty": [" "]}).empty  # no value: no condition
    with pytest.raises(ValidationError) as caught:
        Conditions(dynamic_fields={"Bad-Name": ["x"]})
    assert "'Bad-Name' is not a dynamic field name (letters and digits only)." in str(caught.value)
    with pytest.raises(ValidationError, match="at most 200 characters per value of Note"):
        Actions(dynamic_fields={"Note": ["x" * 201]})


def test_date_field_times_use_otrs_time_point_and_slot_keys() -> None:
    job = Job(
        name="Dates",
        conditions=Conditions(
            dynamic_times={
                "Due": TimeCondition(point=TimePoint(start="After", amount=3, unit="day")),
                "Seen": TimeCondition(since=datetime(2024, 3, 1, 8, 5), until=datetime(2024, 3, 31, 23, 59, 59)),
            }
        ),
        actions=Actions(priority_id=5),
    )
    rows = to_rows(job)
    assert [(k, v) for k, v in rows if k.startswith("Search_DynamicField_Due")] == [
        ("Search_DynamicField_DueTimePoint", "1"),
        ("Search_DynamicField_DueTimePointStart", "After"),
        ("Search_DynamicField_DueTimePointValue", "3"),
        ("Search_DynamicField_DueTimePointFormat", "day"),
    ]
    slot = dict((k.removeprefix("Search_DynamicField_SeenTimeSlot"), v) for k, v in rows if "SeenTimeSlot" in k)
    assert slot == {
        **{"": "1", "StartYear": "2024", "StartMonth": "03", "StartDay": "01", "StartHour": "08"},
        **{"StartMinute": "05", "StartSecond": "00", "StopYear": "2024", "StopMonth": "03", "StopDay": "31"},
        **{"StopHour": "23", "StopMinute": "59", "StopSecond": "59"},
    }
    back = from_rows(job.name, reversed(rows))
    assert back.conditions.dynamic_times == job.conditions.dynamic_times and back.unknown == {}
    now = datetime(2024, 3, 15, 12, 0)
    assert job.conditions.dynamic_times["Due"].bounds(now) == (datetime(2024, 3, 18, 12, 0), None)
    before = TimeCondition(point=TimePoint(start="Before", amount=2, unit="hour"))
    assert before.bounds(now) == (None, now - timedelta(hours=2))


def test_otrs_date_field_rows_unticked_or_unreadable() -> None:
    base = [("Valid", "1"), ("NewPriorityID", "5")]
    unticked = [("Search_DynamicField_DueTimePoint", "0"), ("Search_DynamicField_DueTimePointStart", "Last")]
    job = from_rows("Unticked", base + unticked)
    assert job.conditions.dynamic_times == {} and job.unknown == {} and job.unsupported() == []
    # OTRS writes only Year/Month/Day/Hour/Minute; the seconds default to the slot's whole minutes
    minutes = [("Search_DynamicField_DueTimeSlot", "1")] + [
        (f"Search_DynamicField_DueTimeSlot{end}{part}", value)
        for end, values in (("Start", ("2024", "1", "2", "0", "0")), ("Stop", ("2024", "1", "3", "23", "59")))
        for part, value in zip(("Year", "Month", "Day", "Hour", "Minute"), values, strict=True)
    ]
    slot = from_rows("Minutes", base + minutes).conditions.dynamic_times["Due"]
    assert (slot.since, slot.until) == (datetime(2024, 1, 2), datetime(2024, 1, 3, 23, 59, 59))
    broken = [("Search_DynamicField_DueTimePoint", "1"), ("Search_DynamicField_DueTimePointStart", "Someday")]
    broken += [("Search_DynamicField_DueTimePointValue", "3"), ("Search_DynamicField_DueTimePointFormat", "day")]
    job = from_rows("Broken", base + broken)
    assert job.conditions.dynamic_times == {} and job.unsupported() == sorted(k for k, _v in broken)
    assert sorted(to_rows(job)) == sorted(base + broken)  # kept as they were; the job does not run on them


@pytest.mark.parametrize(
    ("time", "message"),
    [
        ({}, "Give a time point, or both ends of a time slot."),
        ({"since": "2024-03-01T00:00"}, "Give a time point, or both ends of a time slot."),
        ({"since": "2024-03-02T00:00", "until": "2024-03-01T00:00"}, "The time slot ends before it starts."),
        ({"point": {"amount": 1}, "since": "2024-03-01T00:00", "until": "2024-03-02T00:00"}, "not both"),
    ],
)
def test_a_date_field_time_is_a_point_or_a_whole_slot(time: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Job.model_validate({"name": "T", "conditions": {"dynamic_times": {"Due": time}}, "actions": {"priority_id": 5}})
    assert message in error_messages(caught.value)["conditions.dynamic_times.Due"]


def test_checkbox_and_date_fields_are_stored_as_otrs_drivers_read_them() -> None:
    types = {"Flag": "Checkbox", "Off": "Checkbox", "Due": "Date", "Seen": "DateTime", "Kind": "Dropdown"}
    job = Job(
        name="Typed",
        conditions=Conditions(dynamic_fields={"Flag": ["1", "0"], "Kind": ["0"]}),
        actions=Actions(
            dynamic_fields={"Off": ["0"], "Flag": ["1"], "Due": ["2031-05-06"], "Seen": ["2031-05-06 07:08:00"]}
        ),
    )
    rows = to_rows(job, types)
    assert [v for k, v in rows if k == "Search_DynamicField_Flag"] == ["1", "-1"]  # OTRS's "unchecked"
    assert [v for k, v in rows if k == "Search_DynamicField_Kind"] == ["0"]  # a dropdown's key stays
    actions = {k: v for k, v in rows if k.startswith("DynamicField_")}
    assert actions == {
        **{"DynamicField_OffUsed": "1", "DynamicField_Off": "0"},
        **{"DynamicField_FlagUsed": "1", "DynamicField_Flag": "1"},
        **{"DynamicField_DueUsed": "1", "DynamicField_DueYear": "2031", "DynamicField_DueMonth": "05"},
        **{"DynamicField_DueDay": "06", "DynamicField_DueHour": "00", "DynamicField_DueMinute": "00"},
        **{"DynamicField_SeenUsed": "1", "DynamicField_SeenYear": "2031", "DynamicField_SeenMonth": "05"},
        **{"DynamicField_SeenDay": "06", "DynamicField_SeenHour": "07", "DynamicField_SeenMinute": "08"},
    }
    back = from_rows(job.name, reversed(rows), types)
    assert back.conditions.dynamic_fields == {"Flag": ["0", "1"], "Kind": ["0"]} and back.unknown == {}
    assert back.actions.dynamic_fields == job.actions.dynamic_fields
    # as OTRS's admin screen writes them: single digits, an unticked box without its value, an unused date
    otrs = [("Valid", "1"), ("DynamicField_FlagUsed", "1"), ("DynamicField_OffUsed", "1"), ("DynamicField_Off", "")]
    otrs += [("DynamicField_DueUsed", "1"), ("DynamicField_DueYear", "2031"), ("DynamicField_DueMonth", "5")]
    otrs += [("DynamicField_DueDay", "6"), ("DynamicField_DueHour", "0"), ("DynamicField_DueMinute", "0")]
    otrs += [("DynamicField_SeenUsed", "0"), ("DynamicField_SeenYear", "2031"), ("DynamicField_SeenMonth", "5")]
    read = from_rows("OTRS", otrs, types)
    assert read.actions.dynamic_fields == {"Due": ["2031-05-06"], "Flag": ["0"], "Off": ["0"]} and read.unknown == {}
    assert read.unsupported() == []
    assert from_rows("Untyped", [("Valid", "1"), ("DynamicField_Due", "2031-05-06")]).actions.dynamic_fields == {
        "Due": ["2031-05-06"]
    }  # as GOTRS stored a date before it wrote OTRS's keys
    someday = Job(name="Bad date", actions=Actions(dynamic_fields={"Due": ["someday"]}))
    assert ("DynamicField_Due", "someday") in to_rows(someday, types)  # kept; the field's check refuses it


def test_ticket_time_slots_are_whole_days_in_otrs_keys() -> None:
    job = Job.model_validate(
        {
            "name": "Old tickets",
            "conditions": {"created": {"since": "2024-03-01T10:00", "until": "2024-03-05T08:00"}},
            "actions": {"priority_id": 5},
        }
    )
    created = job.conditions.created
    assert created is not None and (created.since, created.until) == (
        datetime(2024, 3, 1),
        datetime(2024, 3, 5, 23, 59, 59),
    )  # whole days, as OTRS stores and searches them
    rows = to_rows(job)
    assert [(k, v) for k, v in rows if k.startswith(("TimeSearchType", "TicketCreateTime"))] == [
        ("TimeSearchType", "TimeSlot"),
        ("TicketCreateTimeStartYear", "2024"),
        ("TicketCreateTimeStartMonth", "03"),
        ("TicketCreateTimeStartDay", "01"),
        ("TicketCreateTimeStopYear", "2024"),
        ("TicketCreateTimeStopMonth", "03"),
        ("TicketCreateTimeStopDay", "05"),
    ]
    assert from_rows(job.name, reversed(rows)).conditions == job.conditions
    # as OTRS's screen writes them: unpadded, and the other kind's fields kept but unused
    otrs = [("Valid", "1"), ("NewPriorityID", "5"), ("ChangeTimeSearchType", "TimeSlot")]
    otrs += [("TicketChangeTimeStartYear", "2023"), ("TicketChangeTimeStartMonth", "1")]
    otrs += [("TicketChangeTimeStartDay", "2"), ("TicketChangeTimeStopYear", "2023")]
    otrs += [("TicketChangeTimeStopMonth", "12"), ("TicketChangeTimeStopDay", "31"), ("TicketChangeTimePoint", "1")]
    otrs += [("TimeSearchType", "TimePoint"), ("TicketCreateTimePoint", "3"), ("TicketCreateTimePointFormat", "day")]
    otrs += [("TicketCreateTimeStartYear", "2020"), ("TicketCreateTimePointStart", "Before")]
    read = from_rows("OTRS", otrs)
    changed, created = read.conditions.changed, read.conditions.created
    assert changed is not None and (changed.since, changed.until) == (
        datetime(2023, 1, 2),
        datetime(2023, 12, 31, 23, 59, 59),
    )
    assert created is not None and created.point == TimePoint(start="Before", amount=3, unit="day")
    assert read.unknown == {} and read.unsupported() == []
    reversed_slot = [("Valid", "1"), ("NewPriorityID", "5"), ("TimePendingSearchType", "TimeSlot")]
    reversed_slot += [
        (f"TicketPendingTime{end}{part}", value)
        for end, values in (("Start", ("2024", "5", "2")), ("Stop", ("2024", "5", "1")))
        for part, value in zip(("Year", "Month", "Day"), values, strict=True)
    ]
    kept = from_rows("Backwards", reversed_slot)
    assert kept.conditions.pending is None and "TimePendingSearchType" in kept.unsupported()  # not run, not lost
    assert sorted(to_rows(kept)) == sorted(reversed_slot)
