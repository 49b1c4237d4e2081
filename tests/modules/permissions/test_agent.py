"""Agents' permissions, the OTRS way: keys on groups (directly and through roles), tickets, moving and creating."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import Engine

from modules.permissions import (
    PERMISSION_KEYS,
    PermissionOptions,
    UnknownPermissionKey,
    agent_permissions,
    can_create_in,
    can_move_into,
    forget_permissions,
    move_targets,
    ticket_access,
)
from tests.modules.permissions.world import ADMIN_GROUP, RAW_QUEUE, ROOT, USERS_GROUP, StatementCounter, World

NO_EXTRAS = PermissionOptions(ticket_responsible=False, ticket_watcher=False)


def test_each_single_key_grants_exactly_that_key_and_rw_grants_all(engine: Engine, world: World) -> None:
    group = world.group("sales")
    agents = {key: world.agent(f"only-{key}") for key in PERMISSION_KEYS}
    for key, user_id in agents.items():
        world.grant(user_id, group, key)
    with engine.connect() as conn:
        matrix = {
            held: {asked: agent_permissions(conn, user_id).has(group, asked) for asked in PERMISSION_KEYS}
            for held, user_id in agents.items()
        }
    expected = {held: {asked: held in (asked, "rw") for asked in PERMISSION_KEYS} for held in PERMISSION_KEYS}
    assert matrix == expected


def test_keys_are_per_group(engine: Engine, world: World) -> None:
    sales, support = world.group("sales"), world.group("support")
    agent = world.agent("ann")
    world.grant(agent, sales, "ro", "note")
    world.grant(agent, support, "rw")
    with engine.connect() as conn:
        perms = agent_permissions(conn, agent)
    assert perms.groups_with("note") == {sales, support}
    assert perms.groups_with("create") == {support}
    assert perms.effective_keys(sales) == {"ro", "note"}
    assert perms.effective_keys(support) == set(PERMISSION_KEYS)
    assert not perms.has(USERS_GROUP, "ro")


def test_role_keys_count_with_value_1_only(engine: Engine, world: World) -> None:
    group = world.group("sales")
    agent, role = world.agent("ann"), world.role("helpdesk")
    world.assign_role(agent, role)
    world.role_grant(role, group, "ro", value=1)
    world.role_grant(role, group, "note", value=0)
    world.grant(agent, group, "priority")
    with engine.connect() as conn:
        perms = agent_permissions(conn, agent)
    assert perms.effective_keys(group) == {"ro", "priority"}  # role and direct rows united, value 0 ignored


def test_rw_through_a_role_grants_every_key(engine: Engine, world: World) -> None:
    group = world.group("sales")
    agent, role = world.agent("ann"), world.role("leads")
    world.assign_role(agent, role)
    world.role_grant(role, group, "rw")
    with engine.connect() as conn:
        assert all(agent_permissions(conn, agent).has(group, key) for key in PERMISSION_KEYS)


def test_invalid_user_group_or_role_gives_nothing(engine: Engine, world: World) -> None:
    good, hidden = world.group("sales"), world.group("closed", valid=False)
    retired = world.agent("retired", valid=False)
    world.grant(retired, good, "rw")
    agent, old_role = world.agent("ann"), world.role("old", valid=False)
    world.grant(agent, hidden, "rw")
    world.assign_role(agent, old_role)
    world.role_grant(old_role, good, "rw")
    with engine.connect() as conn:
        retired_perms, perms = agent_permissions(conn, retired), agent_permissions(conn, agent)
    assert (retired_perms.valid, dict(retired_perms.keys)) == (False, {})
    assert (perms.valid, dict(perms.keys)) == (True, {})
    with engine.connect() as conn:  # an invalid owner loses even their own tickets
        assert not ticket_access(conn, retired, world.ticket(RAW_QUEUE, owner=retired), "ro")


def test_unknown_agent_has_nothing(engine: Engine) -> None:
    with engine.connect() as conn:
        perms = agent_permissions(conn, 4242)
    assert (perms.valid, dict(perms.keys), perms.is_admin) == (False, {}, False)


def test_unknown_key_is_a_programming_error(engine: Engine) -> None:
    with engine.connect() as conn, pytest.raises(UnknownPermissionKey) as error:
        agent_permissions(conn, ROOT).has(USERS_GROUP, "write")
    assert str(error.value) == (
        "Unknown permission key 'write': use one of ro, move_into, create, note, owner, priority, rw."
    )


def test_is_admin_means_rw_on_group_admin(engine: Engine, world: World) -> None:
    reader, writer, by_role = world.agent("reader"), world.agent("writer"), world.agent("by-role")
    world.grant(reader, ADMIN_GROUP, "ro", "create", "note", "owner", "priority", "move_into")
    world.grant(writer, ADMIN_GROUP, "rw")
    admins = world.role("admins")
    world.assign_role(by_role, admins)
    world.role_grant(admins, ADMIN_GROUP, "rw")
    with engine.connect() as conn:
        flags = {login: agent_permissions(conn, uid).is_admin for login, uid in
                 {"root": ROOT, "reader": reader, "writer": writer, "by-role": by_role}.items()}  # fmt: skip
    assert flags == {"root": True, "reader": False, "writer": True, "by-role": True}


def test_ticket_group_check_uses_the_queue_group(engine: Engine, world: World) -> None:
    sales = world.group("sales")
    ticket = world.ticket(world.queue("Sales", sales))
    agent = world.agent("ann")
    world.grant(agent, sales, "ro", "note")
    with engine.connect() as conn:
        allowed = {key: ticket_access(conn, agent, ticket, key, options=NO_EXTRAS) for key in PERMISSION_KEYS}
    assert allowed == {key: key in ("ro", "note") for key in PERMISSION_KEYS}


def test_owner_and_responsible_have_every_key(engine: Engine, world: World) -> None:
    secret = world.queue("Secret", world.group("secret"))
    owner, responsible = world.agent("owner"), world.agent("responsible")
    ticket = world.ticket(secret, owner=owner, responsible=responsible)
    with engine.connect() as conn:
        assert all(ticket_access(conn, owner, ticket, key, options=NO_EXTRAS) for key in PERMISSION_KEYS)
        assert all(ticket_access(conn, responsible, ticket, key) for key in PERMISSION_KEYS)
        assert not ticket_access(conn, responsible, ticket, "ro", options=NO_EXTRAS)  # Ticket::Responsible off


def test_watcher_may_only_read(engine: Engine, world: World) -> None:
    ticket = world.ticket(world.queue("Secret", world.group("secret")))
    watcher = world.agent("watcher")
    world.watch(ticket, watcher)
    with engine.connect() as conn:
        allowed = {key: ticket_access(conn, watcher, ticket, key) for key in PERMISSION_KEYS}
        assert not ticket_access(conn, watcher, ticket, "ro", options=NO_EXTRAS)  # Ticket::Watcher off
    assert allowed == {key: key == "ro" for key in PERMISSION_KEYS}


def test_nobody_is_exempt_from_ticket_rules(engine: Engine, world: World) -> None:
    secret = world.queue("Secret", world.group("secret"))
    owner = world.agent("owner")
    ticket = world.ticket(secret, owner=owner, responsible=owner)
    with engine.connect() as conn:  # root@localhost is user 1 and an admin, and still has no key on "secret"
        assert agent_permissions(conn, ROOT).is_admin
        assert not ticket_access(conn, ROOT, ticket, "ro")
        assert not ticket_access(conn, owner, 987654, "ro")  # unknown ticket


def test_moving_needs_move_into_on_the_target_queue(engine: Engine, world: World) -> None:
    source, target = world.group("first-level"), world.group("second-level")
    source_queue, target_queue = world.queue("First", source), world.queue("Second", target)
    closed_queue = world.queue("Closed", target, valid=False)
    agent = world.agent("ann")
    world.grant(agent, source, "move_into", "ro")
    with engine.connect() as conn:
        assert can_move_into(conn, agent, source_queue)
        assert not can_move_into(conn, agent, target_queue)
    world.grant(agent, target, "move_into")
    with engine.connect() as conn:
        assert can_move_into(conn, agent, target_queue)
        assert not can_move_into(conn, agent, closed_queue)  # invalid queues take no tickets
        assert not can_move_into(conn, agent, 999999)
        assert [q.name for q in move_targets(conn, agent)] == ["First", "Second"]


def test_user_1_may_move_into_every_valid_queue(engine: Engine, world: World) -> None:
    secret = world.queue("Secret", world.group("secret"))
    hidden = world.queue("Hidden", world.group("hidden"), valid=False)
    with engine.connect() as conn:  # OTRS's MoveList: UserID 1 sees every queue
        assert can_move_into(conn, ROOT, secret)
        assert not can_move_into(conn, ROOT, hidden)
        assert [q.name for q in move_targets(conn, ROOT)] == ["Junk", "Misc", "Postmaster", "Raw", "Secret"]
        assert not can_create_in(conn, ROOT, secret)  # no exception for creating


def test_creating_needs_create_on_the_queue_group(engine: Engine, world: World) -> None:
    sales = world.group("sales")
    queue, closed = world.queue("Sales", sales), world.queue("Old sales", sales, valid=False)
    creator, reader = world.agent("creator"), world.agent("reader")
    world.grant(creator, sales, "create")
    world.grant(reader, sales, "ro", "note", "move_into")
    with engine.connect() as conn:
        assert can_create_in(conn, creator, queue)
        assert not can_create_in(conn, reader, queue)
        assert not can_create_in(conn, creator, closed)


def test_queues_with_lists_valid_queues_of_granting_groups(engine: Engine, world: World) -> None:
    sales, support = world.group("sales"), world.group("support")
    world.queue("Sales", sales), world.queue("Sales archive", sales, valid=False), world.queue("Support", support)
    agent = world.agent("ann")
    world.grant(agent, sales, "create")
    world.grant(agent, support, "rw")
    with engine.connect() as conn:
        perms = agent_permissions(conn, agent)
        assert [q.name for q in perms.queues_with(conn, "create")] == ["Sales", "Support"]
        assert [q.name for q in perms.queues_with(conn, "note")] == ["Support"]
        assert perms.queues_with(conn, "ro") == perms.queues_with(conn, "note")


def test_one_query_per_request_however_many_checks(engine: Engine, world: World) -> None:
    sales = world.group("sales")
    agent = world.agent("ann")
    world.grant(agent, sales, "rw")
    queue = world.queue("Sales", sales)
    counter = StatementCounter(engine)
    app = Flask(__name__)
    with app.test_request_context(), engine.connect() as conn:
        for _ in range(25):
            perms = agent_permissions(conn, agent)
            assert perms.has(sales, "note") and perms.is_admin is False and perms.groups_with("ro") == {sales}
        assert len(counter) == 1  # the whole map, once
        for _ in range(25):
            perms.queues_with(conn, "create")
        assert len(counter) == 2  # one more for the queue list, remembered by the map
        for _ in range(5):
            assert can_create_in(conn, agent, queue)
        assert len(counter) == 7  # one primary-key lookup of the queue per call
        forget_permissions()
        agent_permissions(conn, agent)
        assert len(counter) == 8
    with engine.connect() as conn:  # outside a request nothing is remembered
        agent_permissions(conn, agent), agent_permissions(conn, agent)
    assert len(counter) == 10


def test_permission_map_is_one_union_statement(engine: Engine, world: World) -> None:
    counter = StatementCounter(engine)
    with engine.connect() as conn:
        agent_permissions(conn, ROOT)
    [statement] = counter.statements
    assert statement.count("UNION") == 2 and "group_user" in statement and "group_role" in statement
