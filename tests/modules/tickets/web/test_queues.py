"""The queue view: the tree with open-ticket counts (one grouped query), a queue's tickets through the engine list,
htmx table swaps, refusals, and bulk changes of the selected rows."""

from __future__ import annotations

import re

from tests.modules.permissions.world import StatementCounter, T
from tests.modules.tickets.web.conftest import Setup
from tests.modules.tickets.web.desk import HTMX, Tickets, id_of

TABLE = {**HTMX, "HX-Target": "gk-table"}


def counts(page: str) -> dict[str, int]:
    return {name: int(count) for name, count in re.findall(r'data-queue="([^"]+)".*?data-count="(\d+)"', page, re.S)}


def row_ids(page: str) -> set[int]:
    return {int(found) for found in re.findall(r'<tr data-id="(\d+)"', page)}


def test_the_tree_counts_open_tickets_of_readable_queues(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("ro",)})
    for _ in range(2):
        tickets.ticket(setup.sales, state="open")
    tickets.ticket(setup.sales, state="closed successful")
    tickets.ticket(setup.phones)
    tickets.ticket(setup.secret)

    page = sam.html("/agent/queues")

    assert counts(page) == {"Sales": 2, "Sales::Phones": 1}
    assert '<span class="truncate">Phones</span>' in page  # a child shows its own name, indented
    assert 'title="3 with sub-queues"' in page


def test_the_tree_costs_one_grouped_query_however_many_queues(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("ro",)})
    tickets.ticket(setup.sales)  # a page with rows: their lookups cost the same however many rows and queues
    counter = StatementCounter(tickets.desk.engine)
    sam.html("/agent/queues")  # the first page loads the modules
    counter.reset()
    sam.html("/agent/queues")
    few = len(counter)
    for number in range(10):
        queue = tickets.world.queue(f"Sales::Region {number}", setup.sales_group)
        tickets.ticket(queue)
    sam.html("/agent/queues")  # caches of queue names catch up
    counter.reset()
    page = sam.html("/agent/queues")
    assert len(counter) == few
    assert len(counts(page)) == 12


def test_the_tree_counts_are_kept_briefly_and_a_ticket_change_forgets_them(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("ro",)})
    first = tickets.ticket(setup.sales, state="open")
    assert counts(sam.html("/agent/queues"))["Sales"] == 1
    closed = id_of(tickets, "ticket_state", "closed successful")
    with tickets.desk.engine.begin() as conn:  # behind the service's back: no event, so the counts are kept
        conn.execute(T["ticket"].update().where(T["ticket"].c.id == first).values(ticket_state_id=closed))
    counter = StatementCounter(tickets.desk.engine)
    assert counts(sam.html("/agent/queues"))["Sales"] == 1
    assert not [s for s in counter.statements if "GROUP BY ticket.queue_id" in s]
    tickets.ticket(setup.phones)  # a ticket event in this process: the counts are counted again
    assert counts(sam.html("/agent/queues")) == {"Sales": 0, "Sales::Phones": 1}


def test_a_queue_lists_its_tickets_and_htmx_gets_the_table_alone(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("ro",)})
    in_sales = {tickets.ticket(setup.sales) for _ in range(2)}
    in_phones = tickets.ticket(setup.phones)

    page = sam.html(f"/agent/queues/{setup.sales}")
    assert row_ids(page) == in_sales
    assert f'href="/agent/tickets/{min(in_sales)}"' in page and 'name="ids"' in page
    assert 'data-testid="queue-title">Sales</h1>' in page and 'id="t-filter-queue_id"' not in page
    everything = sam.html("/agent/queues")
    assert row_ids(everything) == in_sales | {in_phones}

    table = sam.html(f"/agent/queues/{setup.sales}?sort=-create_time", **TABLE)
    assert not table.lstrip().startswith("<!doctype") and row_ids(table) == in_sales
    new_state = id_of(tickets, "ticket_state", "new")
    filtered = sam.html(f"/agent/queues/{setup.sales}?filter_ticket_state_id={new_state + 100}", **TABLE)
    assert row_ids(filtered) == set() and "No ticket matches this search or filter." in filtered
    bad = sam.get(f"/agent/queues/{setup.sales}?sort=nonsense", **TABLE)
    assert bad.status_code == 400


def test_a_queue_shows_open_tickets_unless_asked_for_every_state(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("ro",)})
    waiting = tickets.ticket(setup.sales, state="open")
    done = tickets.ticket(setup.sales, state="closed successful")

    page = sam.html(f"/agent/queues/{setup.sales}")
    assert row_ids(page) == {waiting} and ">Include closed tickets</a>" in page
    everything = sam.html(f"/agent/queues/{setup.sales}?states=all")
    assert row_ids(everything) == {waiting, done} and ">Only open tickets</a>" in everything
    closed = id_of(tickets, "ticket_state", "closed successful")
    chosen = sam.html(f"/agent/queues/{setup.sales}?filter_ticket_state_id={closed}", **TABLE)
    assert row_ids(chosen) == {done}  # a state filter of the agent's own wins


def test_queues_the_agent_may_not_read_are_refused(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("ro",)})
    refused = sam.get(f"/agent/queues/{setup.secret}")
    assert refused.status_code == 403
    assert "You need the &#39;ro&#39; permission on queue &#39;Secret&#39;." in refused.get_data(as_text=True)
    assert sam.get("/agent/queues/99999").status_code == 404


def test_bulk_changes_the_selected_tickets_and_skips_the_forbidden(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("rw",), setup.secret_group: ("ro",)})
    mine = [tickets.ticket(setup.sales) for _ in range(2)]
    theirs = tickets.ticket(setup.secret)
    high = id_of(tickets, "ticket_priority", "4 high")

    answer = sam.post(
        "/agent/tickets/bulk",
        {
            "ids": [str(i) for i in [*mine, theirs]],
            "priority": str(high),
            "note_subject": "Bulk",
            "note_body": "Checked all printers.",
            "back": f"/agent/queues/{setup.sales}",
        },
    )

    assert (answer.status_code, answer.headers["Location"]) == (303, f"/agent/queues/{setup.sales}")
    assert [tickets.row(i).ticket_priority_id for i in mine] == [high, high]
    assert tickets.row(theirs).ticket_priority_id != high
    assert all(tickets.history(i)[-2:] == ["PriorityUpdate", "AddNote"] for i in mine)
    page = sam.html(f"/agent/queues/{setup.sales}")
    assert "2 tickets changed. 1 skipped:" in page and f"{theirs}: You need the &#39;priority&#39;" in page


def test_the_bulk_panels_fields_come_when_it_opens_with_only_allowed_targets(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("rw",), setup.secret_group: ("ro",)})
    tickets.ticket(setup.sales)
    page = sam.html("/agent/queues")
    assert 'hx-get="/agent/queues/bulk-fields"' in page and 'id="b-state"' not in page  # not paid on every page
    fields = sam.html("/agent/queues/bulk-fields", **HTMX)
    assert not fields.lstrip().startswith("<!doctype") and 'id="b-state"' in fields
    targets = re.search(r'<select id="b-queue".*?</select>', fields, re.S)
    assert targets is not None
    shown = re.findall(r'<option value="\d+">([^<]+)</option>', targets.group(0))
    assert shown == ["Sales", "Sales::Phones"]  # move_into on Sales only: the secret queue is read-only for sam
    assert ">closed successful</option>" in fields and ">merged</option>" not in fields


def test_bulk_without_a_selection_or_a_change_says_so(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("rw",)})
    ticket_id = tickets.ticket(setup.sales)
    nothing = sam.post("/agent/tickets/bulk", {"priority": "4", "back": "https://evil.example/"})
    assert nothing.headers["Location"] == "/agent/queues"  # never leaves the agent screens
    assert "Select at least one ticket first." in sam.html("/agent/queues")
    sam.post("/agent/tickets/bulk", {"ids": str(ticket_id)})
    assert "Choose at least one change for the selected tickets." in sam.html("/agent/queues")
    pending = id_of(tickets, "ticket_state", "pending reminder")
    sam.post("/agent/tickets/bulk", {"ids": str(ticket_id), "state": str(pending)})
    assert "The state &#39;pending reminder&#39; needs a pending time." in sam.html("/agent/queues")
