"""Every action checks the actor's OTRS key; a refusal is one sentence naming the key and the object."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from modules.tickets.drafts import ArticleDraft
from modules.tickets.errors import TicketDenied
from tests.modules.tickets import ticket_world
from tests.modules.tickets.ticket_world import Desk, exactly

database_url, engine, desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk  # fixtures

NOTE = ArticleDraft(body="Internal remark.")
PHONE = ArticleDraft(body="Called.", channel="Phone", history_type="PhoneCallAgent")


def _world(desk: Desk) -> tuple[int, int, str, int]:
    """A group with its queue and a ticket in it; returns (group, queue, queue name, ticket)."""
    group = desk.group()
    queue = desk.queue(group, prefix="Team")
    ticket = desk.create(None, queue=queue).ticket_id
    return group, queue, desk.rows("queue", id=queue)[0]["name"], ticket


@pytest.mark.parametrize(
    ("keys", "action", "needed"),
    [
        (("ro",), lambda t: ("add_article", t, NOTE), "note"),
        (("note",), lambda t: ("add_article", t, PHONE), "rw"),
        (("ro", "note"), lambda t: ("set_state", t, "open"), "rw"),
        (("ro",), lambda t: ("set_priority", t, "4 high"), "priority"),
        (("ro",), lambda t: ("move", t, "Misc"), "move_into"),
        (("ro",), lambda t: ("set_owner", t, 1), "owner"),
        (("ro", "owner"), lambda t: ("set_responsible", t, 1), "rw"),
        (("ro",), lambda t: ("lock", t), "rw"),
        (("ro",), lambda t: ("unlock", t), "rw"),
        (("ro",), lambda t: ("set_title", t, "New"), "rw"),
        (("ro",), lambda t: ("set_customer", t, "ACME", "carl"), "rw"),
        (("ro",), lambda t: ("set_type", t, "Unclassified"), "rw"),
        (("ro",), lambda t: ("set_service", t, None), "rw"),
        (("ro",), lambda t: ("account_time", t, "1"), "rw"),
        (("note",), lambda t: ("watch", t), "ro"),
        (("move_into",), lambda t: ("unwatch", t), "ro"),
    ],
)
def test_each_action_needs_its_key(
    desk: Desk, keys: tuple[str, ...], action: Callable[[int], tuple[Any, ...]], needed: str
) -> None:
    group, _queue, _name, ticket = _world(desk)
    agent = desk.agent(grants={group: keys, 1: ("move_into",)})  # Misc (group users) is a move target
    name, *args = action(ticket)
    tn = desk.ticket(ticket)["tn"]
    with pytest.raises(TicketDenied) as error:
        desk.do(agent, name, *args)
    assert str(error.value) == f"You need the '{needed}' permission on ticket {tn}."
    desk.world.grant(agent, group, needed)
    desk.do(agent, name, *args)  # now allowed


def test_keys_that_suffice(desk: Desk) -> None:
    group, _queue, _name, ticket = _world(desk)
    noter = desk.agent(grants={group: ("note",)})
    assert desk.do(noter, "add_article", ticket, NOTE) > 0
    prioritiser = desk.agent(grants={group: ("priority",)})
    assert desk.do(prioritiser, "set_priority", ticket, "5 very high") is True


def test_moving_needs_move_into_on_the_target_queue(desk: Desk) -> None:
    group, _queue, _name, ticket = _world(desk)
    target_group = desk.group()
    target = desk.queue(target_group, prefix="Target")
    target_name = desk.rows("queue", id=target)[0]["name"]
    agent = desk.agent(grants={group: ("move_into", "ro")})
    with pytest.raises(TicketDenied, match=exactly(f"You need the 'move_into' permission on queue '{target_name}'.")):
        desk.do(agent, "move", ticket, target)
    desk.world.grant(agent, target_group, "move_into")
    assert desk.do(agent, "move", ticket, target) is True


def test_user_1_may_move_into_every_valid_queue(desk: Desk) -> None:
    _group, _queue, _name, ticket = _world(desk)
    other = desk.queue(desk.group())
    desk.world.grant(1, _group, "move_into")
    assert desk.do(1, "move", ticket, other) is True


def test_the_owner_and_the_responsible_have_every_key(desk: Desk) -> None:
    group, queue, _name, _ticket = _world(desk)
    owner = desk.agent(grants={group: ("owner", "create")})
    ticket = desk.create(owner, queue=queue).ticket_id
    desk.world.grant(owner, group, "ro")
    with desk.engine.begin() as conn:  # take every group key away: ownership alone still grants
        from modules.db.schema import metadata

        group_user = metadata.tables["group_user"]
        conn.execute(group_user.delete().where(group_user.c.user_id == owner))
    assert desk.do(owner, "set_priority", ticket, "1 very low") is True
    assert desk.do(owner, "set_state", ticket, "open") is True


def test_linking_needs_rw_here_and_ro_there(desk: Desk) -> None:
    group, _queue, _name, ticket = _world(desk)
    other_group = desk.group()
    other = desk.create(None, queue=desk.queue(other_group)).ticket_id
    agent = desk.agent(grants={group: ("rw",)})
    with pytest.raises(
        TicketDenied, match=exactly(f"You need the 'ro' permission on ticket {desk.ticket(other)['tn']}.")
    ):
        desk.do(agent, "link", ticket, other)
    desk.world.grant(agent, other_group, "ro")
    assert desk.do(agent, "link", ticket, other) is True
    reader = desk.agent(grants={group: ("ro",), other_group: ("rw",)})
    with pytest.raises(
        TicketDenied, match=exactly(f"You need the 'rw' permission on ticket {desk.ticket(ticket)['tn']}.")
    ):
        desk.do(reader, "unlink", ticket, other)


def test_merging_needs_rw_on_both(desk: Desk) -> None:
    group, _queue, _name, ticket = _world(desk)
    other_group = desk.group()
    main = desk.create(None, queue=desk.queue(other_group)).ticket_id
    agent = desk.agent(grants={group: ("rw",), other_group: ("ro",)})
    with pytest.raises(
        TicketDenied, match=exactly(f"You need the 'rw' permission on ticket {desk.ticket(main)['tn']}.")
    ):
        desk.do(agent, "merge", ticket, main)


def test_an_invalid_agent_may_do_nothing(desk: Desk) -> None:
    group, _queue, _name, ticket = _world(desk)
    gone = desk.world.agent(desk.unique("gone"), valid=False)
    desk.world.grant(gone, group, "rw")
    tn = desk.ticket(ticket)["tn"]
    with pytest.raises(TicketDenied, match=exactly(f"You need the 'ro' permission on ticket {tn}.")):
        desk.do(gone, "watch", ticket)


def test_the_system_is_not_checked(desk: Desk) -> None:
    _group, _queue, _name, ticket = _world(desk)
    assert desk.do(None, "set_priority", ticket, "2 low") is True
