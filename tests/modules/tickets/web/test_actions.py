"""The zoom's actions through their POSTs: each effect shows in the zoom and in the ticket's history.

htmx posts get the refreshed zoom (``#t-zoom``) or their form again with the error beside the field (4xx,
``HX-Retarget: #t-panel``); plain posts get a 303 to the zoom.  The route checks the action's OTRS key, and the
service checks it again.
"""

from __future__ import annotations

from sqlalchemy import func, select

from tests.modules.permissions.world import T
from tests.modules.tickets.web.conftest import Setup
from tests.modules.tickets.web.desk import HTMX, Agent, Tickets, id_of

CUSTOMER = "cust@example.com"  # made by make_helpdesk: Carl Customer, company ACME


def sales_agent(tickets: Tickets, setup: Setup, login: str = "sam", *keys: str) -> Agent:
    return tickets.agent(login, {setup.sales_group: keys or ("rw",)})


def test_a_note_through_htmx_answers_the_refreshed_zoom_and_shows_in_it(tickets: Tickets, setup: Setup) -> None:
    sam = sales_agent(tickets, setup)
    ticket_id = tickets.ticket(setup.sales)

    answer = sam.post(f"/agent/tickets/{ticket_id}/note", {"subject": "Called", "body": "Left a message."}, **HTMX)

    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and page.startswith('<div id="t-zoom"')
    assert "Note added." in page and "Left a message." in page and 'data-visibility="internal"' in page
    assert tickets.history(ticket_id)[-1] == "AddNote"


def test_a_state_change_without_htmx_redirects_to_the_zoom_with_a_message(tickets: Tickets, setup: Setup) -> None:
    sam = sales_agent(tickets, setup)
    ticket_id = tickets.ticket(setup.sales)
    closed = id_of(tickets, "ticket_state", "closed successful")

    answer = sam.post(f"/agent/tickets/{ticket_id}/state", {"state": str(closed), "body": "Fixed it."})

    assert (answer.status_code, answer.headers["Location"]) == (303, f"/agent/tickets/{ticket_id}")
    page = sam.html(f"/agent/tickets/{ticket_id}")
    assert "State changed." in page and 'data-state="closed successful"' in page and "Fixed it." in page
    assert {"AddNote", "StateUpdate"} <= set(tickets.history(ticket_id))


def test_a_pending_state_without_a_time_comes_back_with_the_error_beside_the_field(
    tickets: Tickets, setup: Setup
) -> None:
    sam = sales_agent(tickets, setup)
    ticket_id = tickets.ticket(setup.sales)
    reminder = id_of(tickets, "ticket_state", "pending reminder")

    answer = sam.post(f"/agent/tickets/{ticket_id}/state", {"state": str(reminder)}, **HTMX)

    assert (answer.status_code, answer.headers["HX-Retarget"]) == (422, "#t-panel")
    page = answer.get_data(as_text=True)
    assert '<p id="f-pending_until-error"' in page
    assert "The state &#39;pending reminder&#39; needs a pending time." in page
    assert tickets.row(ticket_id).ticket_state_id != reminder

    later = sam.post(
        f"/agent/tickets/{ticket_id}/pending", {"state": str(reminder), "pending_until": "2030-01-02T09:30"}, **HTMX
    )
    assert later.status_code == 200 and "The ticket is pending." in later.get_data(as_text=True)
    assert "2030-01-02 09:30" in later.get_data(as_text=True)
    moved = sam.post(
        f"/agent/tickets/{ticket_id}/pending", {"state": str(reminder), "pending_until": "2030-02-01T08:00"}
    )
    assert moved.status_code == 303
    assert tickets.history(ticket_id).count("SetPendingTime") == 2


def test_close_priority_title_and_time(tickets: Tickets, setup: Setup) -> None:
    sam = sales_agent(tickets, setup)
    ticket_id = tickets.ticket(setup.sales)
    url = f"/agent/tickets/{ticket_id}"

    assert (
        sam.post(f"{url}/priority", {"priority": str(id_of(tickets, "ticket_priority", "5 very high"))}).status_code
        == 303
    )
    assert sam.post(f"{url}/title", {"title": "Printer on fire"}).status_code == 303
    assert sam.post(f"{url}/time", {"time_units": "1,5"}).status_code == 303
    bad = sam.post(f"{url}/time", {"time_units": "lots"}, **HTMX)
    assert bad.status_code == 422 and 'data-error="time_units"' in bad.get_data(as_text=True)
    closed = sam.post(f"{url}/close", {"state": str(id_of(tickets, "ticket_state", "closed unsuccessful"))})
    assert closed.status_code == 303

    page = sam.html(url)
    assert "Printer on fire" in page and 'data-priority="5 very high"' in page
    assert 'data-field="time" title="1.50"' in page and 'data-state="closed unsuccessful"' in page
    assert {"PriorityUpdate", "TitleUpdate", "TimeAccounting", "StateUpdate"} <= set(tickets.history(ticket_id))
    history = sam.html(f"{url}?tab=history")
    assert "Changed title from &#34;Printer jams&#34; to &#34;Printer on fire&#34;." in history


def test_close_refuses_a_state_that_does_not_close(tickets: Tickets, setup: Setup) -> None:
    sam = sales_agent(tickets, setup)
    ticket_id = tickets.ticket(setup.sales)
    answer = sam.post(
        f"/agent/tickets/{ticket_id}/close", {"state": str(id_of(tickets, "ticket_state", "open"))}, **HTMX
    )
    assert answer.status_code == 422 and "Choose a closed state." in answer.get_data(as_text=True)


def test_move_owner_responsible_lock_and_watch(tickets: Tickets, setup: Setup) -> None:
    sam = sales_agent(tickets, setup)
    helper = tickets.agent("helen", {setup.sales_group: ("rw",)})
    tickets.world.grant(sam.user_id, setup.secret_group, "move_into")
    ticket_id = tickets.ticket(setup.sales)
    url = f"/agent/tickets/{ticket_id}"

    for action, data in (
        ("lock", {}),
        ("watch", {}),
        ("owner", {"owner": str(helper.user_id)}),
        ("responsible", {"responsible": str(helper.user_id)}),
        ("move", {"queue": str(setup.phones)}),
    ):
        assert sam.post(f"{url}/{action}", data, **HTMX).status_code == 200, action
    row = tickets.row(ticket_id)
    assert (row.queue_id, row.user_id, row.responsible_user_id) == (setup.phones, helper.user_id, helper.user_id)
    page = sam.html(url)
    assert 'data-lock="unlock"' in page  # the move unlocked it
    assert "sam Agent (sam)" in page  # a watcher
    assert sam.post(f"{url}/unwatch", {}, **HTMX).status_code == 200
    assert tickets.history(ticket_id)[2:] == [
        *("Lock", "Misc", "OwnerUpdate", "Subscribe", "OwnerUpdate", "ResponsibleUpdate", "Move", "Unlock"),
        "Unsubscribe",
    ]

    away = sam.post(f"{url}/move", {"queue": str(setup.secret)}, **HTMX)
    assert away.headers["HX-Redirect"] == "/agent"  # sam may move into Secret but not read it
    assert sam.get(url).status_code == 403


def test_refused_choices_are_named_beside_the_field(tickets: Tickets, setup: Setup) -> None:
    sam = sales_agent(tickets, setup)
    outsider = tickets.agent("otto", {setup.secret_group: ("rw",)})
    ticket_id = tickets.ticket(setup.sales)
    url = f"/agent/tickets/{ticket_id}"

    owner = sam.post(f"{url}/owner", {"owner": str(outsider.user_id)}, **HTMX)
    assert owner.status_code == 422
    assert "The agent &#39;otto&#39; may not own tickets in queue &#39;Sales&#39;" in owner.get_data(as_text=True)
    assert 'data-error="owner"' in owner.get_data(as_text=True)
    move = sam.post(f"{url}/move", {"queue": str(setup.secret)}, **HTMX)
    assert move.status_code == 403
    assert "You need the &#39;move_into&#39; permission on queue &#39;Secret&#39;." in move.get_data(as_text=True)
    empty = sam.post(f"{url}/priority", {}, **HTMX)
    assert (empty.status_code, 'data-error="priority"' in empty.get_data(as_text=True)) == (422, True)


def test_the_route_checks_the_actions_key(tickets: Tickets, setup: Setup) -> None:
    reader = sales_agent(tickets, setup, "rita", "ro", "priority")
    ticket_id = tickets.ticket(setup.sales)
    url = f"/agent/tickets/{ticket_id}"

    page = reader.html(url)
    assert 'data-action="priority"' in page and 'data-action="note"' not in page and 'data-action="lock"' not in page
    refused = reader.post(f"{url}/note", {"body": "x"})
    assert refused.status_code == 403
    assert f"You need the &#39;note&#39; permission on ticket {ticket_id}." in refused.get_data(as_text=True)
    assert reader.post(f"{url}/priority", {"priority": "4"}).status_code == 303
    panel = reader.html(f"{url}?form=state", **{**HTMX, "HX-Target": "t-panel"})
    assert "You need the &#39;rw&#39; permission on ticket" in panel
    no_csrf = reader.client.post(f"{url}/priority", data={"priority": "2"})
    assert no_csrf.status_code == 403


def test_customer_change_takes_the_users_company(tickets: Tickets, setup: Setup) -> None:
    sam = sales_agent(tickets, setup)
    ticket_id = tickets.ticket(setup.sales)

    assert sam.post(f"/agent/tickets/{ticket_id}/customer", {"customer_user": CUSTOMER.upper()}).status_code == 303
    row = tickets.row(ticket_id)
    assert (row.customer_user_id, row.customer_id) == (CUSTOMER, "ACME")
    unknown = sam.post(f"/agent/tickets/{ticket_id}/customer", {"customer_user": "nobody"}, **HTMX)
    assert unknown.status_code == 422 and "There is no customer user &#39;nobody&#39;." in unknown.get_data(
        as_text=True
    )


def test_reply_forward_and_phone_write_articles_and_queue_mail(tickets: Tickets, setup: Setup) -> None:
    sam = sales_agent(tickets, setup)
    ticket_id = tickets.ticket(setup.sales, customer_user=CUSTOMER, customer_id="ACME")
    url = f"/agent/tickets/{ticket_id}"

    form = sam.html(f"{url}?form=reply", **{**HTMX, "HX-Target": "t-panel"})
    assert 'data-panel="reply"' in form and "Re: [Ticket#" in form
    assert f'name="to" value="Carl Customer &lt;{CUSTOMER}&gt;"' in form  # the article names no sender
    reply = sam.post(f"{url}/reply", {"to": CUSTOMER, "subject": "Re: Printer", "body": "Try turning it off."})
    assert reply.status_code == 303
    missing = sam.post(f"{url}/forward", {"subject": "Fwd", "body": "See below."}, **HTMX)
    assert missing.status_code == 422 and 'data-error="to"' in missing.get_data(as_text=True)
    assert "An email needs at least one recipient." in missing.get_data(as_text=True)
    assert sam.post(f"{url}/forward", {"to": "vendor@example.com", "body": "See below."}).status_code == 303
    assert sam.post(f"{url}/phone", {"body": "Called back.", "time_units": "2"}).status_code == 303

    page = sam.html(url)
    assert "Try turning it off." in page and "Called back." in page and 'data-field="time" title="2.00"' in page
    history = tickets.history(ticket_id)
    assert {"SendAnswer", "Forward", "PhoneCallAgent", "TimeAccounting"} <= set(history)
    assert tickets.scalar(select(func.count()).select_from(T["mail_queue"])) == 2


def test_link_unlink_and_merge_by_number(tickets: Tickets, setup: Setup) -> None:
    sam = sales_agent(tickets, setup)
    first, second = tickets.ticket(setup.sales), tickets.ticket(setup.sales, title="Second printer")
    second_tn = tickets.row(second).tn

    assert sam.post(f"/agent/tickets/{first}/link", {"tn": second_tn, "type": "ParentChild"}).status_code == 303
    page = sam.html(f"/agent/tickets/{first}")
    assert f'data-link="{second}"' in page and "Second printer" in page and "Child" in page
    unknown = sam.post(f"/agent/tickets/{first}/link", {"tn": "1234"}, **HTMX)
    assert unknown.status_code == 422 and "There is no ticket with number 1234." in unknown.get_data(as_text=True)
    gone = sam.post(f"/agent/tickets/{first}/unlink", {"other_id": str(second), "type": "ParentChild"}, **HTMX)
    assert gone.status_code == 200 and f'data-link="{second}"' not in gone.get_data(as_text=True)
    assert tickets.history(first).count("TicketLinkDelete") == 1

    merged = sam.post(f"/agent/tickets/{first}/merge", {"tn": second_tn})
    assert merged.status_code == 303
    assert tickets.row(first).ticket_state_id == id_of(tickets, "ticket_state", "merged")
    assert "Merged" in tickets.history(second)


def test_split_makes_a_child_ticket_from_an_article(tickets: Tickets, setup: Setup) -> None:
    sam = sales_agent(tickets, setup, "sam", "rw")
    ticket_id = tickets.ticket(setup.sales, body="Two problems: printer and phone.")
    article_id = tickets.scalar(select(T["article"].c.id).where(T["article"].c.ticket_id == ticket_id))

    form = sam.html(f"/agent/tickets/{ticket_id}?form=split&article_id={article_id}")
    assert f'name="article_id" value="{article_id}"' in form
    answer = sam.post(
        f"/agent/tickets/{ticket_id}/split",
        {"article_id": str(article_id), "title": "Phone", "queue": str(setup.phones)},
    )
    assert answer.status_code == 303
    new_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    assert (tickets.row(new_id).title, tickets.row(new_id).queue_id) == ("Phone", setup.phones)
    assert "Two problems" in sam.html(answer.headers["Location"])
    other = tickets.ticket(setup.sales)
    wrong = sam.post(
        f"/agent/tickets/{other}/split", {"article_id": str(article_id), "queue": str(setup.sales)}, **HTMX
    )
    assert wrong.status_code == 422 and "is not an article of ticket" in wrong.get_data(as_text=True)


def test_unknown_tickets_are_404_and_unreadable_ones_403(tickets: Tickets, setup: Setup) -> None:
    sam = sales_agent(tickets, setup)
    secret = tickets.ticket(setup.secret)
    assert sam.get("/agent/tickets/999999").status_code == 404
    refused = sam.get(f"/agent/tickets/{secret}")
    assert refused.status_code == 403
    assert f"You need the &#39;ro&#39; permission on ticket {secret}." in refused.get_data(as_text=True)
    assert sam.post(f"/agent/tickets/{secret}/note", {"body": "x"}).status_code == 403
