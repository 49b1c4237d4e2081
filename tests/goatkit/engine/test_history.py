"""The change history: every write through the engine records exactly what changed, in the same transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from goatkit.db.tables import goatkit_change
from goatkit.engine import history, service, writes
from goatkit.engine.model import ResolvedModule
from modules.db.schema import metadata
from tests.goatkit.engine.data_support import PRIORITY, SALUTATION, Desk, desk_fixture, make_desk_fixture  # noqa: F401

NEW_YEAR = datetime(2026, 1, 1)
API = "/api/v1/modules"
GROUP_USER, PRIORITIES = metadata.tables["group_user"], metadata.tables["ticket_priority"]


def changes(desk: Desk, module: str, key: Any) -> list[tuple[str, int, dict[str, Any]]]:
    """``(action, changed_by, changes)`` of a record, oldest first, straight from the table."""
    t = goatkit_change.c
    stmt = select(t.action, t.changed_by, t.changes).where(t.module == module, t.record_key == str(key)).order_by(t.id)
    with desk.engine.connect() as conn:
        return [(action, by, json.loads(text)) for action, by, text in conn.execute(stmt)]


def count_changes(desk: Desk) -> int:
    with desk.engine.connect() as conn:
        return len(conn.execute(select(goatkit_change.c.id)).all())


def test_create_update_noop_and_soft_delete_record_only_what_changed(desk: Desk) -> None:
    module = desk.module("priority")
    with desk.engine.begin() as conn:
        pk = service.create(conn, module, {"name": "6 urgent", "color": "#ff0000"}, source="json", user_id=1)
    assert changes(desk, "priority", pk) == [
        ("create", 1, {"name": [None, "6 urgent"], "color": [None, "#ff0000"], "valid_id": [None, 1]})
    ]
    with desk.engine.begin() as conn:
        service.update(conn, module, pk, {"color": "#00ff00", "name": "6 urgent"}, source="json", user_id=2)
        service.update(conn, module, pk, {"color": "#00ff00"}, source="json", user_id=2)  # no change: nothing written
        service.delete(conn, module, [pk], user_id=1)
        service.delete(conn, module, [pk], user_id=1)  # already invalid: nothing more
    assert changes(desk, "priority", pk)[1:] == [
        ("update", 2, {"color": ["#ff0000", "#00ff00"]}),
        ("delete", 1, {"valid_id": [1, 2]}),
    ]
    with desk.engine.connect() as conn:  # the no-op update did not touch the row either
        assert conn.execute(select(PRIORITIES.c.change_by).where(PRIORITIES.c.id == pk)).scalar_one() == 1


def test_a_failed_write_leaves_no_history(desk: Desk) -> None:
    module = desk.module("priority")
    counted = count_changes(desk)
    with pytest.raises(RuntimeError), desk.engine.begin() as conn:
        service.create(conn, module, {"name": "gone"}, source="json", user_id=1)
        raise RuntimeError("roll back")
    assert count_changes(desk) == counted


def test_hard_delete_keeps_the_values_and_passwords_are_never_recorded(desk: Desk) -> None:
    salutation, agent = desk.module("salutation"), desk.module("agent")
    with desk.engine.begin() as conn:
        pk = service.create(conn, salutation, {"name": "Hi", "text": "Hello,"}, source="json", user_id=1)
        service.delete(conn, salutation, [pk], user_id=1)
        uid = service.create(
            conn,
            agent,
            {"login": "bo", "first_name": "Bo", "last_name": "B", "pw": "s3cret-Pw"},
            source="json",
            user_id=1,
        )
        service.update(conn, agent, uid, {"pw": "0ther-Pw"}, source="json", user_id=1)
        service.update(conn, agent, uid, {"pw": ""}, source="json", user_id=1)  # empty: keeps the password
    assert changes(desk, "salutation", pk)[-1] == (
        "delete",
        1,
        {"id": [pk, None], "name": ["Hi", None], "text": ["Hello,", None], "valid_id": [1, None]},
    )
    assert changes(desk, "agent", uid) == [
        (
            "create",
            1,
            {
                "login": [None, "bo"],
                "first_name": [None, "Bo"],
                "last_name": [None, "B"],
                "pw": [None, "(changed)"],
                "valid_id": [None, 1],
            },
        ),
        ("update", 1, {"pw": [None, "(changed)"]}),
    ]


def test_binary_changes_are_recorded_as_text_or_a_marker_and_never_dropped(desk: Desk) -> None:
    module = desk.module("priority")
    assert history.diff(module, {"name": "a", "blob": b"\xff\x00"}, {"name": "b", "blob": b"\xff\x01"}) == {
        "name": ["a", "b"],
        "blob": ["(binary content)", "(binary content)"],
    }
    assert history.diff(module, {"blob": b"--- {}\n"}, {"blob": b"---\nA: '1'\n"}) == {
        "blob": ["--- {}\n", "---\nA: '1'\n"]
    }
    assert history.diff(module, {"blob": b"same"}, {"blob": b"same"}) == {}


def test_a_bulk_update_costs_the_same_statements_for_5_rows_and_50(desk: Desk) -> None:
    module = desk.module("priority")
    now = {"create_time": NEW_YEAR, "change_time": NEW_YEAR, "create_by": 1, "change_by": 1}
    with desk.engine.begin() as conn:
        conn.execute(
            insert(PRIORITIES),
            [{"id": 100 + i, "name": f"bulk {i}", "color": "#ffffff", "valid_id": 1} | now for i in range(50)],
        )
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.split(maxsplit=1)[0])  # SQLite also sends BEGIN

    event.listen(desk.engine, "before_cursor_execute", count)
    try:
        for size in (5, 50):
            seen.clear()
            with desk.engine.begin() as conn:
                assert (
                    writes.update_rows(conn, module, list(range(100, 100 + size)), {"color": f"#00000{size % 10}"}, 1)
                    == size
                )
            assert [s for s in seen if s != "BEGIN"] == ["SELECT", "UPDATE", "INSERT"], size
    finally:
        event.remove(desk.engine, "before_cursor_execute", count)
    assert changes(desk, "priority", 149) == [("update", 1, {"color": ["#ffffff", "#000000"]})]
    assert changes(desk, "priority", 100) == [
        ("update", 1, {"color": ["#ffffff", "#000005"]}),
        ("update", 1, {"color": ["#000005", "#000000"]}),
    ]


def test_the_status_toggle_records_only_rows_whose_validity_changes(desk: Desk) -> None:
    module = desk.module("priority")
    with desk.engine.begin() as conn:
        writes.set_valid(conn, module, 1, False, user_id=1)
        assert writes.set_valid_rows(conn, module, [1, 2], False, user_id=2) == 2
        writes.set_valid_rows(conn, module, [1, 2], True, user_id=2)
    assert changes(desk, "priority", 1) == [
        ("invalid", 1, {"valid_id": [1, 2]}),
        ("valid", 2, {"valid_id": [2, 1]}),
    ]
    assert changes(desk, "priority", 2) == [("invalid", 2, {"valid_id": [1, 2]}), ("valid", 2, {"valid_id": [2, 1]})]


def test_audit_false_turns_the_history_off(make_desk: Any) -> None:
    desk = make_desk({"salutation": SALUTATION + "features: {audit: false}\n"})
    module: ResolvedModule = desk.module("salutation")
    with desk.engine.begin() as conn:
        pk = service.create(conn, module, {"name": "Hi", "text": "Hello,"}, source="json", user_id=1)
        service.update(conn, module, pk, {"name": "Hey"}, source="json", user_id=1)
        service.delete(conn, module, [pk], user_id=1)
    assert changes(desk, "salutation", pk) == []


def test_the_history_api_and_fragment_show_who_when_and_labelled_values_newest_first(desk: Desk) -> None:
    created = desk.post(f"{API}/priority", json={"name": "6 urgent", "color": "#ff0000"})
    pk = created.get_json()["id"]
    desk.client.patch(f"{API}/priority/{pk}", json={"color": "#00ff00"}, headers=desk.headers)
    desk.client.delete(f"{API}/priority/{pk}", headers=desk.headers)

    answer = desk.get(f"{API}/priority/{pk}/history")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert [c["action"] for c in body["data"]] == ["delete", "update", "create"]
    assert body["next_before"] is None
    assert {c["changed_by"]["name"] for c in body["data"]} == {"Admin OTRS (root@localhost)"}
    assert body["data"][0]["changes"] == [{"field": "valid_id", "label": "Validity", "old": "valid", "new": "invalid"}]
    assert body["data"][1]["changes"] == [{"field": "color", "label": "Colour", "old": "#ff0000", "new": "#00ff00"}]
    assert [f["label"] for f in body["data"][2]["changes"]] == ["Name", "Colour", "Validity"]

    first = desk.get(f"{API}/priority/{pk}/history?limit=2").get_json()
    assert [c["action"] for c in first["data"]] == ["delete", "update"]
    rest = desk.get(f"{API}/priority/{pk}/history?limit=2&before={first['next_before']}").get_json()
    assert ([c["action"] for c in rest["data"]], rest["next_before"]) == (["create"], None)
    bad = desk.get(f"{API}/priority/{pk}/history?limit=x")
    assert (bad.status_code, bad.get_json()["error"]["message"]) == (
        400,
        "The parameter 'limit' must be a positive whole number, not 'x'.",
    )

    html = desk.get(f"/admin/modules/priority/{pk}/history", headers={**desk.headers, "HX-Request": "true"})
    assert html.status_code == 200
    text = html.get_data(as_text=True)
    assert "<html" not in text and "Admin OTRS (root@localhost)" in text
    assert "made invalid" not in text and "deleted" in text and "Colour" in text and "#00ff00" in text


def test_history_needs_the_view_permission(desk: Desk) -> None:
    denied = desk.get(f"{API}/priority/1/history", headers=desk.agent_headers())
    assert denied.status_code == 403
    assert (
        denied.get_json()["error"]["message"]
        == "You need the 'rw' permission on group 'admin' to view priority records."
    )
    assert desk.get(f"{API}/nothing/1/history").get_json()["error"]["message"] == "No module named 'nothing'."
