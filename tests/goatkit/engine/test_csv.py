"""CSV export and import of any module: what a spreadsheet user sees, and all-or-nothing imports with clear reports."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from goatkit import jobs
from goatkit.db.tables import goatkit_change, goatkit_job
from modules.db.schema import metadata
from tests.goatkit.engine.data_support import Desk, desk_fixture, make_desk_fixture  # noqa: F401
from tests.modules.auth import AGENT

NEW_YEAR = datetime(2026, 1, 1)
API = "/api/v1/modules/priority"
PRIORITIES, USERS, GROUP_USER, SLAS = (metadata.tables[n] for n in ("ticket_priority", "users", "group_user", "sla"))
GROUPS = metadata.tables["permission_groups"]
AUDIT = {"create_time": NEW_YEAR, "change_time": NEW_YEAR, "create_by": 1, "change_by": 1}


def rows_of(response: Any) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff"), "the export starts with a byte order mark"
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def add(desk: Desk, *rows: dict[str, Any]) -> None:
    with desk.engine.begin() as conn:
        conn.execute(insert(PRIORITIES), [{"valid_id": 1, "color": None} | AUDIT | row for row in rows])


def names(desk: Desk) -> list[str]:
    with desk.engine.connect() as conn:
        return list(conn.execute(select(PRIORITIES.c.name).order_by(PRIORITIES.c.name)).scalars())


def post_csv(desk: Desk, text: str | bytes, dry_run: str = "0", **kw: Any) -> Any:
    body = text.encode() if isinstance(text, str) else text
    headers = kw.pop("headers", desk.headers) | {"Content-Type": "text/csv"}
    return desk.client.post(f"{API}/import?dry_run={dry_run}", data=body, headers=headers)


def test_export_honours_search_filters_and_sort_with_labels_display_values_and_formula_guards(desk: Desk) -> None:
    add(desk, {"id": 20, "name": "=HYPERLINK(1)", "color": "#111111"}, {"id": 21, "name": "@high", "valid_id": 2})
    answer = desk.get(f"{API}/export.csv?search=high&sort=-id")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert answer.headers["Content-Disposition"] == 'attachment; filename="priority.csv"'
    rows = rows_of(answer)
    assert rows[0] == ["Id", "Name", "Colour", "Validity", "Created"]
    assert [(row[0], row[1], row[3]) for row in rows[1:]] == [
        ("21", "'@high", "invalid"),
        ("5", "5 very high", "valid"),
        ("4", "4 high", "valid"),
    ]
    assert rows[1][4] == "2026-01-01 00:00:00"

    filtered = rows_of(desk.get("/admin/modules/priority/export.csv?filter_valid_id=2"))
    assert [row[1] for row in filtered[1:]] == ["'@high"]
    formula = rows_of(desk.get(f"{API}/export.csv?search=HYPERLINK"))
    assert formula[1][1:3] == ["'=HYPERLINK(1)", "#111111"]
    bad = desk.get(f"{API}/export.csv?sort=colour")
    assert (bad.status_code, bad.get_json()["error"]["message"]) == (
        400,
        "Cannot sort by 'colour'; sortable fields: id, name.",
    )


def test_passwords_are_never_exported(desk: Desk) -> None:
    rows = rows_of(desk.get("/api/v1/modules/agent/export.csv?sort=id"))
    assert rows[0] == ["Id", "Login", "First name", "Last name", "Valid id"]
    assert rows[1] == ["1", "root@localhost", "Admin", "OTRS", "1"]


def test_export_streams_in_pages_of_1000_rows(desk: Desk) -> None:
    add(desk, *({"id": 100 + i, "name": f"bulk {i:04}"} for i in range(2100)))
    answer = desk.get(f"{API}/export.csv?sort=id")
    assert answer.is_streamed
    rows = rows_of(answer)
    assert len(rows) == 1 + 5 + 2100
    assert rows[-1][:2] == ["2199", "bulk 2099"]


def test_a_round_trip_into_an_empty_table_gives_the_same_rows(desk: Desk) -> None:
    tricky = ["comma, inside", 'quote "q"', "line\nbreak", "=1+1", "-minus", "Zoë; semicolon", "  spaces  ", "@at"]
    rows = [
        {
            "id": i + 1,
            "name": name,
            "calendar_name": None if i % 3 else "Cal",
            "first_response_time": i * 15,
            "first_response_notify": i % 2,
            "update_time": 0,
            "solution_time": 600 + i,
            "valid_id": 1 + i % 3,
            "comments": name if i % 2 else None,
        }
        for i, name in enumerate(tricky)
    ]
    with desk.engine.begin() as conn:
        conn.execute(insert(SLAS), [row | AUDIT for row in rows])
    exported = desk.get("/api/v1/modules/sla/export.csv")
    assert rows_of(exported)[0] == [
        "Id",
        "Name",
        "Calendar",
        "First response (minutes)",
        "Notify",
        "Update time",
        "Solution time",
        "Validity",
        "Comments",
    ]
    assert rows_of(exported)[4][1:5] == ["'=1+1", "Cal", "45", "Yes"]
    columns = [c for c in SLAS.c if c.name not in ("id", "create_time", "change_time", "create_by", "change_by")]
    with desk.engine.begin() as conn:
        before = conn.execute(select(*columns)).all()
        conn.execute(delete(SLAS))
    answer = desk.client.post("/api/v1/modules/sla/import", data=exported.get_data(), headers=desk.headers)
    assert answer.status_code == 200, answer.get_json()
    report = answer.get_json()
    assert (report["ok"], report["committed"], report["creates"], report["updates"]) == (True, True, 8, 0)
    with desk.engine.connect() as conn:
        after = conn.execute(select(*columns)).all()
    assert sorted(after, key=str) == sorted(before, key=str)


def test_import_errors_name_each_line_and_nothing_is_written(desk: Desk) -> None:
    text = (
        "Name,Colour,Validity\n"
        "Alpha,#ff0000,valid\n"
        ",#00ff00,valid\n"
        "Beta,red,Valid\n"
        "Gamma,#000000,bogus\n"
        "Alpha,,2\n"
        "3 normal,,\n"
        '"Delta",#000000,valid,extra\n'
    )
    counted = len(names(desk))
    answer = post_csv(desk, text)
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["error"]["message"] == "The file has 6 problems; nothing was imported."
    assert body["errors"] == [
        "Line 3: Name is required.",
        "Line 4: Colour: Must be a color like #1a2b3c or #abc.",
        "Line 5: Validity: 'bogus' is not one of the choices.",
        "Line 6: Name: 'Alpha' is also on line 2.",
        "Line 7: Name: Already used by another Priority.",
        "Line 8: It has 4 values but the header has 3 columns.",
    ]
    assert (body["committed"], body["total"]) == (False, 7)
    assert len(names(desk)) == counted


def test_a_dry_run_checks_and_writes_nothing_and_bom_and_semicolons_are_read(desk: Desk) -> None:
    text = "\ufeffname;color;VALIDITY\nAlpha;#ff0000;Valid\nBeta;;1\n"
    answer = post_csv(desk, text.encode(), dry_run="1")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["ok"], body["committed"], body["creates"], body["dry_run"]) == (True, False, 2, True)
    assert body["preview"] == [["Alpha", "#ff0000", "Valid", "OK"], ["Beta", "", "1", "OK"]]
    assert "Alpha" not in names(desk)
    assert (
        post_csv(desk, text.encode(), dry_run="yes").get_json()["error"]["message"]
        == "dry_run must be 1 or 0, not 'yes'."
    )


def test_rows_with_an_existing_key_update_it(desk: Desk) -> None:
    answer = post_csv(desk, "Id,Name,Colour\n3,3 medium,#00ff00\n99,New one,\n")
    assert answer.status_code == 200, answer.get_json()
    assert (answer.get_json()["creates"], answer.get_json()["updates"]) == (1, 1)
    with desk.engine.connect() as conn:
        row = conn.execute(
            select(PRIORITIES.c.name, PRIORITIES.c.color, PRIORITIES.c.valid_id).where(PRIORITIES.c.id == 3)
        ).one()
        history = (
            conn.execute(select(goatkit_change.c.action).where(goatkit_change.c.record_key == "3")).scalars().all()
        )
    assert tuple(row) == ("3 medium", "#00ff00", 1)
    assert history == ["update"]
    assert "New one" in names(desk)


def test_unknown_columns_wrong_encoding_and_oversized_files_are_refused(make_desk: Any) -> None:
    desk = make_desk()
    desk.app.config["GOATKIT_CSV_MAX_BYTES"] = 200
    unknown = post_csv(desk, "Name,Colr\nAlpha,#ff0000\n")
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"] == ["Unknown column 'Colr' (did you mean 'color'?)."]
    latin = post_csv(desk, "Name\nZo\xeb\n".encode("latin-1"))
    assert (latin.status_code, latin.get_json()["error"]["message"]) == (
        400,
        "The file is not UTF-8 text (byte 8 cannot be read); save it as 'CSV UTF-8' and try again.",
    )
    large = post_csv(desk, "Name\n" + "x\n" * 200)
    assert (large.status_code, large.get_json()["error"]["message"]) == (
        413,
        "The file is larger than 200 bytes; split it into smaller files.",
    )
    form = {"file": (io.BytesIO(b"Name\n" + b"x\n" * 40_000), "big.csv")}
    spooled = desk.post("/admin/modules/priority/import", data=form, content_type="multipart/form-data")
    assert spooled.status_code == 413
    assert "The file is larger than 200 bytes; split it into smaller files." in spooled.get_data(as_text=True)
    empty = post_csv(desk, "\n\n")
    assert empty.get_json()["error"]["message"] == "The file is empty: the first line must name the columns."


def test_agents_without_the_permission_get_403_and_see_only_their_own_jobs(desk: Desk) -> None:
    agent = desk.agent_headers()
    message = "You need the 'rw' permission on group 'admin' to {} priority records."
    export = desk.get(f"{API}/export.csv", headers=agent)
    assert (export.status_code, export.get_json()["error"]["message"]) == (403, message.format("export"))
    imported = post_csv(desk, "Name\nAlpha\n", headers=agent)
    assert (imported.status_code, imported.get_json()["error"]["message"]) == (403, message.format("import"))
    page = desk.get("/admin/modules/priority/import", headers=agent | {"Accept": "application/json"})
    assert page.status_code == 403

    job_url = start_import(desk, "Name\nAlpha\n")
    wait(desk, job_url, set())  # SQLite: one writer at a time
    with desk.engine.begin() as conn:  # now jane may import too, but not read the admin's job
        jane = conn.execute(select(USERS.c.id).where(USERS.c.login == AGENT)).scalar_one()
        admin = conn.execute(select(GROUPS.c.id).where(GROUPS.c.name == "admin")).scalar_one()
        conn.execute(insert(GROUP_USER).values(user_id=jane, group_id=admin, permission_key="rw", **AUDIT))
    other = desk.get(job_url, headers=desk.agent_headers() | {"Accept": "application/json"})
    assert other.status_code == 404
    assert other.get_json()["error"]["message"] == "No import with this id: it has expired or belongs to someone else."


def start_import(desk: Desk, text: str) -> str:
    data = {"file": (io.BytesIO(text.encode()), "priorities.csv")}
    answer = desk.post("/admin/modules/priority/import", data=data, content_type="multipart/form-data")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    text = answer.get_data(as_text=True)
    found = re.search(r'data-url="(/admin/modules/priority/import/[0-9a-f]{32})"', text)
    assert found, "the page names the job"
    state = re.search(r'data-state="(\w+)"', text)
    assert state and (state.group(1) in ("done", "failed") or f'hx-get="{found.group(1)}"' in text), "it polls the job"
    return found.group(1)


def wait(desk: Desk, url: str, seen: set[str]) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = desk.get(url, headers={**desk.headers, "HX-Request": "true"}).get_data(as_text=True)
        state = re.search(r'data-state="(\w+)"', text)
        assert state, text
        seen.add(state.group(1))
        if state.group(1) in ("done", "failed"):
            return text
        time.sleep(0.2)
    raise AssertionError("the job did not finish")


def test_a_large_import_shows_progress_until_done_then_commits_all_rows(desk: Desk) -> None:
    total = 2500
    text = "Name,Colour\n" + "".join(f"P{i:05},#00ff00\n" for i in range(total))
    url = start_import(desk, text)
    seen: set[str] = set()
    report = wait(desk, url, seen)
    assert f"All {total} rows are valid: {total} to create, 0 to update." in report
    assert 'hx-trigger="every 1s"' not in report
    assert "P00001" not in names(desk)

    committed = desk.post(url, headers={**desk.headers, "HX-Request": "true"})
    assert committed.status_code == 200
    next_url = re.search(r'data-url="(/admin/modules/priority/import/[0-9a-f]{32})"', committed.get_data(as_text=True))
    assert next_url and next_url.group(1) != url
    final = wait(desk, next_url.group(1), seen)
    assert f"Imported {total} rows: {total} created, 0 updated." in final
    assert seen <= {"queued", "running", "done"} and "done" in seen
    with desk.engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(PRIORITIES).where(PRIORITIES.c.name.like("P%"))).scalar()
            == total
        )


def test_the_upload_page_reports_a_missing_or_unreadable_file(desk: Desk) -> None:
    page = desk.get("/admin/modules/priority/import")
    assert page.status_code == 200 and 'name="file"' in page.get_data(as_text=True)
    missing = desk.post("/admin/modules/priority/import", data={}, content_type="multipart/form-data")
    assert missing.status_code == 400 and "Choose a CSV file to upload." in missing.get_data(as_text=True)
    data = {"file": (io.BytesIO(b"Name\n\xff\n"), "bad.csv")}
    bad = desk.post("/admin/modules/priority/import", data=data, content_type="multipart/form-data")
    assert bad.status_code == 400 and "The file is not UTF-8 text (byte 6 cannot be read)" in bad.get_data(as_text=True)


def test_a_job_whose_process_died_reads_as_failed_and_old_jobs_are_purged(desk: Desk) -> None:
    job_id = jobs.create(desk.engine, kind="csv_check", owner="agent:1", payload="Name\n")
    assert jobs.get(desk.engine, job_id, owner="agent:2") is None
    assert jobs.payload_of(desk.engine, job_id, owner="agent:2") is None
    fresh = jobs.get(desk.engine, job_id, owner="agent:1")
    assert fresh is not None and (fresh.state, fresh.percent, fresh.finished) == ("queued", 0, False)
    with desk.engine.begin() as conn:
        conn.execute(update(goatkit_job).values(updated_at=int(time.time()) - jobs.STALE_AFTER - 1))
    stale = jobs.get(desk.engine, job_id, owner="agent:1")
    assert stale is not None and (stale.state, stale.result) == ("failed", {"error": jobs.STALE})
    with desk.engine.begin() as conn:
        conn.execute(update(goatkit_job).values(updated_at=int(time.time()) - jobs.PURGE_AFTER - 1))
    jobs.create(desk.engine, kind="csv_check", owner="agent:1")
    assert jobs.get(desk.engine, job_id, owner="agent:1") is None
