"""The relation kind of module (goatkit/engine/relation.py): spec, resolution, reading and diff-saving a matrix."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, event, insert, select

from goatkit.engine.extension import modules
from goatkit.engine.relation import Relation, RelationError, read_grants, save_grants, side_page
from modules.db.schema import metadata
from tests.modules.auth import Helpdesk, make_helpdesk

#: Agents <-> groups with per-key rows, rw stored alone.
AGENT_GROUPS = """\
module: {name: agent_groups, plural: Agents and groups, table: group_user}
relation:
  left: {table: users, key: id, display: login, condition: "valid_id = 1", label: Agent, plural: Agents}
  right: {table: permission_groups, display: name, label: Group, plural: Groups}
  columns: {left: user_id, right: group_id}
  permissions: {keys: [ro, move_into, create, note, owner, priority, rw], implied_by: rw}
"""
#: Roles <-> groups, where only permission_value = 1 counts.
ROLE_GROUPS = """\
module: {name: role_groups, table: group_role}
relation:
  left: {table: roles, label: Role}
  right: {table: permission_groups, label: Group}
  columns: {left: role_id, right: group_id}
  permissions: {keys: [ro, rw], value_column: permission_value}
"""
QUEUE_AUTO_RESPONSES = """\
module: {name: queue_auto_responses, table: queue_auto_response}
relation:
  left: {table: queue, label: Queue}
  right: {table: auto_response, label: Auto response}
  columns: {left: queue_id, right: auto_response_id}
  constraints: [{one_per: type_id}]
"""
GROUP_USER, GROUPS = metadata.tables["group_user"], metadata.tables["permission_groups"]
GROUP_ROLE, ROLES = metadata.tables["group_role"], metadata.tables["roles"]
AUTO_RESPONSE = metadata.tables["auto_response"]
NOW = datetime(2024, 1, 2, 3, 4, 5)
AUDIT = {"create_time": NOW, "create_by": 1, "change_time": NOW, "change_by": 1}


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Iterator[Helpdesk]:
    folder = tmp_path / "modules"
    folder.mkdir()
    for name, text in (("ag", AGENT_GROUPS), ("rg", ROLE_GROUPS), ("qa", QUEUE_AUTO_RESPONSES)):
        (folder / f"{name}.yaml").write_text(text)
    made = make_helpdesk(db_url, tmp_path / "var", modules_path=str(folder), modules_builtin=False)
    with made.engine.begin() as conn:
        conn.execute(insert(GROUPS), [{"id": i, "name": f"g{i:05d}", "valid_id": 1, **AUDIT} for i in range(10, 130)])
    yield made
    modules(made.app).stop()
    made.close()


def relation_of(desk: Helpdesk, name: str) -> Relation:
    with desk.app.app_context():
        found = modules(desk.app).snapshot()[name].relation
    assert found is not None
    return found


def counted(desk: Helpdesk) -> list[str]:
    """The SQL statements run on the desk's engine from now on (executemany counts once)."""
    seen: list[str] = []
    event.listen(desk.engine, "before_cursor_execute", lambda *args: seen.append(args[2].split()[0].upper()))
    return seen


def test_a_relation_module_needs_no_fields_and_resolves_both_sides(desk: Helpdesk) -> None:
    relation = relation_of(desk, "agent_groups")
    assert (relation.table.name, relation.left.table.name, relation.right.table.name) == (
        "group_user",
        "users",
        "permission_groups",
    )
    assert (relation.left.link.name, relation.right.link.name, relation.implied_by) == ("user_id", "group_id", "rw")
    assert relation.keys == ("ro", "move_into", "create", "note", "owner", "priority", "rw")
    assert relation_of(desk, "queue_auto_responses").keys == ("assigned",)


def test_a_relation_naming_a_missing_column_is_refused_with_file_and_line(desk: Helpdesk, tmp_path: Path) -> None:
    bad = tmp_path / "modules" / "bad.yaml"
    bad.write_text(AGENT_GROUPS.replace("agent_groups", "bad").replace("right: group_id", "right: grup_id"))
    with desk.app.app_context():
        snapshot = modules(desk.app).registry.load()
    assert "bad" not in snapshot
    assert [str(p) for p in snapshot.problems] == [
        f"{bad}:5: relation.columns.right: column 'grup_id' does not exist in table 'group_user'; "
        "did you mean 'group_id'?"
    ]


def test_a_relation_leaving_a_not_null_column_empty_is_refused(desk: Helpdesk, tmp_path: Path) -> None:
    bad = tmp_path / "modules" / "company.yaml"
    bad.write_text(
        "module: {name: company_groups, table: group_customer}\n"
        "relation:\n"
        "  left: {table: customer_company, key: customer_id}\n"
        "  right: {table: permission_groups}\n"
        "  columns: {left: customer_id, right: group_id}\n"
        "  permissions: {keys: [ro, rw], value_column: permission_value}\n"
    )
    with desk.app.app_context():
        problems = [str(p) for p in modules(desk.app).registry.load().problems]
    assert problems == [
        f"{bad}:2: relation.fixed: column 'permission_context' of table 'group_customer' is NOT NULL without a "
        "default: give it a fixed value"
    ]


def test_saving_touches_only_the_rows_that_change(desk: Helpdesk) -> None:
    relation = relation_of(desk, "agent_groups")
    with desk.engine.begin() as conn:
        save_grants(conn, relation, relation.left, 2, {10: {"ro", "note"}, 11: {"ro"}}, replace_all=False, user_id=1)
    before = _rows(desk, 2)
    statements = counted(desk)
    with desk.engine.begin() as conn:
        change = save_grants(
            conn,
            relation,
            relation.left,
            2,
            {10: {"ro", "note"}, 11: {"create"}, 12: {"ro"}},
            replace_all=False,
            user_id=1,
        )
    assert [s for s in statements if s in {"SELECT", "INSERT", "DELETE", "UPDATE"}] == ["SELECT", "DELETE", "INSERT"]
    assert (change.added, change.removed) == (((11, "create"), (12, "ro")), ((11, "ro"),))
    after = _rows(desk, 2)
    assert [r for r in after if r[0] == 10] == [r for r in before if r[0] == 10]  # untouched: same audit stamps
    assert {(r[0], r[1]) for r in after} == {(10, "note"), (10, "ro"), (11, "create"), (12, "ro")}

    statements.clear()
    with desk.engine.begin() as conn:
        unchanged = save_grants(conn, relation, relation.left, 2, {10: {"note", "ro"}}, replace_all=False, user_id=1)
    assert (unchanged.added, unchanged.removed) == ((), ())
    assert [s for s in statements if s in {"SELECT", "INSERT", "DELETE", "UPDATE"}] == ["SELECT"]


def _rows(desk: Helpdesk, user_id: int) -> list[tuple[Any, ...]]:
    stmt = select(GROUP_USER.c.group_id, GROUP_USER.c.permission_key, GROUP_USER.c.create_time, GROUP_USER.c.create_by)
    with desk.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(stmt.where(GROUP_USER.c.user_id == user_id)))


def test_replace_all_revokes_what_the_body_leaves_out_and_rw_is_stored_alone(desk: Helpdesk) -> None:
    relation = relation_of(desk, "agent_groups")
    with desk.engine.begin() as conn:
        save_grants(conn, relation, relation.left, 2, {10: {"ro"}, 11: {"ro"}}, replace_all=False, user_id=2)
        save_grants(conn, relation, relation.left, 2, {11: {"ro", "note", "rw"}}, replace_all=True, user_id=2)
        assert read_grants(conn, relation, relation.left, 2) == {11: frozenset({"rw"})}
        assert read_grants(conn, relation, relation.right, 11) == {2: frozenset({"rw"})}
    assert [(r[0], r[1], r[3]) for r in _rows(desk, 2)] == [(11, "rw", 2)]  # create_by: the saving agent


def test_only_permission_value_1_counts_and_granting_replaces_a_stale_row(desk: Helpdesk) -> None:
    relation = relation_of(desk, "role_groups")
    with desk.engine.begin() as conn:
        conn.execute(insert(ROLES).values(id=5, name="r5", valid_id=1, **AUDIT))
        conn.execute(
            insert(GROUP_ROLE),
            [
                {"role_id": 5, "group_id": 10, "permission_key": "ro", "permission_value": 0, **AUDIT},
                {"role_id": 5, "group_id": 10, "permission_key": "rw", "permission_value": 1, **AUDIT},
            ],
        )
        assert read_grants(conn, relation, relation.left, 5) == {10: frozenset({"rw"})}
        save_grants(conn, relation, relation.left, 5, {10: {"ro"}}, replace_all=False, user_id=1)
        rows = conn.execute(select(GROUP_ROLE.c.permission_key, GROUP_ROLE.c.permission_value)).all()
    assert sorted(tuple(r) for r in rows) == [("ro", 1)]


def test_a_constraint_refuses_two_auto_responses_of_one_type_and_nothing_is_saved(desk: Helpdesk) -> None:
    relation = relation_of(desk, "queue_auto_responses")
    with desk.engine.begin() as conn:
        conn.execute(
            insert(AUTO_RESPONSE).values(
                id=9, name="second reply", type_id=1, system_address_id=1, valid_id=1, text0="", **AUDIT
            )
        )
    with pytest.raises(RelationError) as refused, desk.engine.begin() as conn:
        save_grants(conn, relation, relation.left, 1, {1: {"assigned"}, 9: {"assigned"}}, replace_all=False, user_id=1)
    assert refused.value.status == 409
    assert refused.value.message == (
        "Queue 'Postmaster' can have only one auto response per type_id; "
        "'default reply (after new ticket has been created)', 'second reply' share one."
    )
    with desk.engine.begin() as conn:
        assert read_grants(conn, relation, relation.left, 1) == {}
        save_grants(conn, relation, relation.left, 1, {1: {"assigned"}, 2: {"assigned"}}, replace_all=False, user_id=1)
        assert read_grants(conn, relation, relation.left, 1) == {1: frozenset({"assigned"}), 2: frozenset({"assigned"})}
        conn.execute(delete(relation.table))


def test_a_large_side_is_paged_by_keyset_and_searched(desk: Helpdesk) -> None:
    relation = relation_of(desk, "agent_groups")
    key = b"k" * 32
    with desk.engine.connect() as conn:
        first = side_page(conn, "agent_groups", relation.right, signing_key=key, size=50)
        assert [label for _k, label in first.items[:4]] == ["admin", "g00010", "g00011", "g00012"]
        second = side_page(
            conn, "agent_groups", relation.right, signing_key=key, cursor=first.next_cursor or "", size=50
        )
        assert second.items[0][1] == "g00059"  # admin and g00010..g00058 fill the first page
        found = side_page(conn, "agent_groups", relation.right, signing_key=key, search="G0010")
        assert [label for _k, label in found.items] == [f"g{i:05d}" for i in range(100, 110)]
        with pytest.raises(RelationError) as bad:
            side_page(conn, "agent_groups", relation.right, signing_key=key, cursor=first.next_cursor or "", search="x")
    assert bad.value.message == "This page link is invalid or out of date; start again from the first page."
