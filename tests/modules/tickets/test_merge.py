"""Links, merging (and following merged numbers), and splitting an article into a new ticket."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select

from modules.tickets import links
from modules.tickets.drafts import ArticleDraft, AttachmentDraft, TicketDraft
from modules.tickets.errors import TicketInvalid
from modules.tickets.events import TicketEvent, bus
from modules.tickets.refs import Refs
from modules.tickets.refs import forget as refs_forget
from tests.modules.tickets import ticket_world
from tests.modules.tickets.ticket_world import Desk, T, exactly

database_url, engine, desk = ticket_world.database_url, ticket_world.engine, ticket_world.desk  # fixtures


def test_link_and_unlink_write_history_on_both_tickets(desk: Desk) -> None:
    agent = desk.agent()
    first, second = desk.create(agent), desk.create(agent)
    assert desk.do(agent, "link", first.ticket_id, second.ticket_id) is True
    assert desk.do(agent, "link", second.ticket_id, first.ticket_id) is False  # Normal has no direction
    assert desk.history(first.ticket_id)[-1] == (
        "TicketLinkAdd",
        f"%%{second.tn}%%{second.ticket_id}%%{first.ticket_id}",
    )
    assert desk.history(second.ticket_id)[-1] == (
        "TicketLinkAdd",
        f"%%{first.tn}%%{first.ticket_id}%%{second.ticket_id}",
    )
    with desk.engine.connect() as conn:
        assert links.linked(conn, Refs(conn), first.ticket_id) == [links.Link(second.ticket_id, "Normal", "normal")]
    assert desk.do(agent, "unlink", second.ticket_id, first.ticket_id) is True
    assert desk.do(agent, "unlink", second.ticket_id, first.ticket_id) is False
    assert desk.history(first.ticket_id)[-1][0] == "TicketLinkDelete"
    assert desk.history(second.ticket_id)[-1] == (
        "TicketLinkDelete",
        f"%%{first.tn}%%{first.ticket_id}%%{second.ticket_id}",
    )


def test_parent_child_links_have_a_direction(desk: Desk) -> None:
    parent, child = desk.create(), desk.create()
    seen: list[TicketEvent] = []
    bus.listen("TicketLinkAdd")(lambda conn, event: seen.append(event))
    assert desk.do(None, "link", parent.ticket_id, child.ticket_id, "ParentChild") is True
    with desk.engine.connect() as conn:
        refs = Refs(conn)
        assert links.linked(conn, refs, child.ticket_id) == [links.Link(parent.ticket_id, "ParentChild", "parent")]
        assert links.linked(conn, refs, parent.ticket_id) == [links.Link(child.ticket_id, "ParentChild", "child")]
    with pytest.raises(TicketInvalid, match="already linked the other way round"):
        desk.do(None, "link", child.ticket_id, parent.ticket_id, "ParentChild")
    with pytest.raises(TicketInvalid, match=exactly("There is no link type 'Sibling'; use Normal or ParentChild.")):
        desk.do(None, "link", child.ticket_id, parent.ticket_id, "Sibling")
    with pytest.raises(TicketInvalid, match=exactly("A ticket cannot be linked to itself.")):
        desk.do(None, "link", child.ticket_id, child.ticket_id)
    assert [(event.ticket_id, dict(event.data)) for event in seen] == [
        (parent.ticket_id, {"other_ticket_id": child.ticket_id, "link_type": "ParentChild"}),
        (child.ticket_id, {"other_ticket_id": parent.ticket_id, "link_type": "ParentChild"}),
    ]


def test_merge_moves_content_and_writes_otrs_history(desk: Desk) -> None:
    agent = desk.agent()
    watcher = desk.agent()
    main, merged, linked = desk.create(agent), desk.create(agent), desk.create(agent)
    desk.do(agent, "account_time", merged.ticket_id, "2")
    desk.do(watcher, "watch", merged.ticket_id)
    desk.do(agent, "link", merged.ticket_id, linked.ticket_id)
    desk.do(agent, "lock", merged.ticket_id)
    desk.do(agent, "set_state", merged.ticket_id, "pending reminder", pending_until=desk.now.replace(day=20))
    seen: list[str] = []
    bus.listen("*")(lambda conn, event: seen.append(f"{event.name}:{event.ticket_id}"))
    assert desk.do(agent, "merge", merged.ticket_id, main.ticket_id) is True

    row = desk.ticket(merged.ticket_id)
    assert (row["ticket_state_id"], row["ticket_lock_id"], row["until_time"]) == (9, 1, 0)
    merged_articles = desk.rows("article", ticket_id=merged.ticket_id)
    assert len(merged_articles) == 1  # only the merge note stays; the phone call moved to the main ticket
    note = desk.rows("article_data_mime", article_id=merged_articles[0]["id"])[0]
    assert (note["a_subject"], note["a_body"]) == ("Ticket Merged", f"Merged Ticket {merged.tn} to {main.tn}.")
    assert merged_articles[0]["is_visible_for_customer"] == 1
    assert len(desk.rows("article", ticket_id=main.ticket_id)) == 2
    assert desk.rows("time_accounting", ticket_id=merged.ticket_id) == []
    assert [row["time_unit"] for row in desk.rows("time_accounting", ticket_id=main.ticket_id)] == [2]
    assert [row["user_id"] for row in desk.rows("ticket_watcher", ticket_id=main.ticket_id)] == [watcher]

    name = f"%%{merged.tn}%%{merged.ticket_id}%%{main.tn}%%{main.ticket_id}"
    tail = [entry for entry in desk.history(merged.ticket_id) if entry[0] not in ("Lock", "Misc", "OwnerUpdate")]
    assert tail[-6:] == [
        ("AddNote", "%%Note"),
        ("Merged", name),
        ("TicketLinkAdd", f"%%{main.tn}%%{main.ticket_id}%%{merged.ticket_id}"),
        ("StateUpdate", "%%pending reminder%%merged%%"),
        ("SetPendingTime", "%%00-00-00 00:00"),
        ("Unlock", "%%unlock"),
    ]
    assert desk.history(main.ticket_id)[-2:] == [
        ("Merged", name),
        ("TicketLinkAdd", f"%%{merged.tn}%%{merged.ticket_id}%%{main.ticket_id}"),
    ]
    # the merged ticket's article history went with its articles
    moved = [r for r in desk.history_rows(main.ticket_id) if r["article_id"] is not None]
    assert {r["article_id"] for r in moved} == {a["id"] for a in desk.rows("article", ticket_id=main.ticket_id)}
    with desk.engine.connect() as conn:
        refs = Refs(conn)
        assert links.linked(conn, refs, main.ticket_id) == [
            links.Link(linked.ticket_id, "Normal", "normal"),
            links.Link(merged.ticket_id, "ParentChild", "child"),
        ]
    assert seen[-1] == f"TicketMerge:{merged.ticket_id}"
    assert f"TicketLinkAdd:{main.ticket_id}" in seen


def test_merge_refusals(desk: Desk) -> None:
    main, merged = desk.create(), desk.create()
    with pytest.raises(TicketInvalid, match=exactly("A ticket cannot be merged into itself.")):
        desk.do(None, "merge", main.ticket_id, main.ticket_id)
    desk.do(None, "merge", merged.ticket_id, main.ticket_id)
    with pytest.raises(TicketInvalid, match=exactly(f"Ticket {merged.tn} is already merged.")):
        desk.do(None, "merge", merged.ticket_id, main.ticket_id)
    third = desk.create()
    with pytest.raises(TicketInvalid, match=f"^Ticket {merged.tn} is merged itself"):
        desk.do(None, "merge", third.ticket_id, merged.ticket_id)


def _chain(desk: Desk, hops: int) -> tuple[str, int]:
    """Tickets T0 .. T<hops>, each merged into the next; returns (T0's number, the last id)."""
    tickets = [desk.create() for _ in range(hops + 1)]
    for current, following in itertools.pairwise(tickets):
        desk.do(None, "merge", current.ticket_id, following.ticket_id)
    return tickets[0].tn, tickets[-1].ticket_id


@pytest.mark.parametrize(("hops", "resolves"), [(0, True), (1, True), (2, True), (9, True), (10, False), (11, False)])
def test_merged_numbers_resolve_along_the_chain(desk: Desk, hops: int, resolves: bool) -> None:
    tn, last = _chain(desk, hops)
    with desk.engine.connect() as conn:
        service = desk.service(conn)
        assert service.resolve(tn) == (last if resolves else None)
        assert service.resolve("1999999999999999") is None


def test_split_copies_the_article_into_a_linked_child(desk: Desk) -> None:
    agent = desk.agent()
    article = ArticleDraft(
        body="<p>Two problems: <b>printer</b> and scanner</p>",
        content_type="text/html",
        subject="Two problems",
        channel="Email",
        sender_type="customer",
        visible_for_customer=True,
        history_type="EmailCustomer",
        **{"from": "Carl <carl@example.com>"},
        attachments=[AttachmentDraft(filename="scan.pdf", content_type="application/pdf", content=b"%PDF-1")],
    )
    source = desk.create(agent, article=article)
    created = desk.do(agent, "split", source.article_id, TicketDraft(title="Scanner", queue="Misc"))
    copy = desk.rows("article", ticket_id=created.ticket_id)
    assert len(copy) == 1 and copy[0]["id"] != source.article_id
    mime = desk.rows("article_data_mime", article_id=copy[0]["id"])[0]
    assert (mime["a_subject"], mime["a_from"], mime["a_body"]) == (
        "Two problems",
        "Carl <carl@example.com>",
        "Two problems: printer and scanner",
    )
    files = sorted(row["filename"] for row in desk.rows("article_data_mime_attachment", article_id=copy[0]["id"]))
    assert files == ["file-2", "scan.pdf"]
    assert desk.rows("mail_queue", article_id=copy[0]["id"]) == []  # a copy is never sent
    assert desk.history(created.ticket_id)[1] == ("EmailCustomer", "%%")
    assert desk.history(created.ticket_id)[-1] == (
        "TicketLinkAdd",
        f"%%{source.tn}%%{source.ticket_id}%%{created.ticket_id}",
    )
    with desk.engine.connect() as conn:
        refs = Refs(conn)
        assert links.linked(conn, refs, created.ticket_id) == [links.Link(source.ticket_id, "ParentChild", "parent")]
        queue = conn.execute(select(T["ticket"].c.queue_id).where(T["ticket"].c.id == created.ticket_id)).scalar()
    assert queue == 4


def test_two_links_in_one_transaction_create_the_link_object_once(desk: Desk) -> None:
    first, second, third = desk.create(), desk.create(), desk.create()
    with desk.engine.begin() as conn:  # a database that never linked: no link_object row yet
        conn.execute(T["link_relation"].delete())
        conn.execute(T["link_object"].delete())
    refs_forget(desk.engine)
    with desk.engine.begin() as conn:
        service = desk.service(conn, None)
        assert service.link(first.ticket_id, second.ticket_id) is True
        assert service.link(first.ticket_id, third.ticket_id) is True
    with desk.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(T["link_object"])).scalar_one() == 1
        assert [link.ticket_id for link in links.linked(conn, Refs(conn), first.ticket_id)] == sorted(
            [second.ticket_id, third.ticket_id]
        )
