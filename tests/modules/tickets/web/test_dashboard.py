"""The agent dashboard: each list shows exactly its tickets, counts them, and costs the same whatever their number."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.modules.permissions.world import StatementCounter
from tests.modules.tickets.web.conftest import Setup
from tests.modules.tickets.web.desk import Tickets, section


def test_each_widget_lists_its_tickets(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("ro", "owner"), setup.secret_group: ("owner",)})
    past, future = datetime(2024, 1, 1, 9, 0), datetime.now() + timedelta(days=30)
    locked = tickets.ticket(setup.secret, title="Locked one", owner=sam.user_id, lock="lock", state="open")
    owned = tickets.ticket(setup.secret, title="Owned one", owner=sam.user_id, state="open")
    tickets.ticket(setup.secret, title="Closed one", owner=sam.user_id, state="closed successful")
    fresh = tickets.ticket(setup.phones, title="Fresh one")
    tickets.ticket(setup.secret, title="Hidden new one")
    due = tickets.ticket(setup.sales, title="Due one", owner=sam.user_id, state="pending reminder", pending_until=past)
    later = tickets.ticket(setup.sales, owner=sam.user_id, state="pending reminder", pending_until=future)

    page = sam.html("/agent")

    def ids(key: str) -> set[int]:
        found = section(page, f'data-widget="{key}"')
        return {int(part.split('"', 1)[0]) for part in found.split('data-ticket="')[1:]}

    assert ids("locked") == {locked}
    assert ids("owned") == {locked, owned, due, later}
    assert ids("new") == {fresh}
    assert ids("reminders") == {due}
    assert 'data-testid="count">1</span>' in section(page, 'data-widget="new"')
    assert "Hidden new one" not in page and "Closed one" not in page


def test_the_dashboard_costs_the_same_for_three_tickets_or_thirty(tickets: Tickets, setup: Setup) -> None:
    sam = tickets.agent("sam", {setup.sales_group: ("ro", "owner")})
    for _ in range(3):
        tickets.ticket(setup.sales, owner=sam.user_id, state="open")
    sam.html("/agent")  # the first page fills the caches
    counter = StatementCounter(tickets.desk.engine)
    sam.html("/agent")
    few = len(counter)
    for _ in range(27):
        tickets.ticket(setup.sales, owner=sam.user_id, state="open")
    counter.reset()
    page = sam.html("/agent")
    assert len(counter) == few
    owned = section(page, 'data-widget="owned"')
    assert owned.count("data-ticket=") == 10 and 'data-testid="count">30</span>' in owned
    assert 'href="/agent/queues?filter_user_id=' in owned  # "Show all"


AGENT_PAGES = (
    "/agent",
    "/agent/queues",
    "/agent/search",
    "/agent/tickets/new?channel=phone",
    "/agent/customers/search?q=a",
    "/agent/tickets/1",
)


def test_only_agents_see_the_agent_screens(tickets: Tickets, setup: Setup) -> None:
    anonymous = tickets.desk.client()
    customer = tickets.desk.client()
    assert tickets.desk.browser_login(customer, "cust@example.com", "cust-Pw-1", realm="customer").status_code == 303
    for path in AGENT_PAGES:
        sent_away = anonymous.get(path)
        assert sent_away.status_code == 302 and sent_away.headers["Location"].startswith("/login?next="), path
        refused = customer.get(path, headers={"Accept": "application/json"})
        assert (refused.status_code, refused.get_json()["error"]["message"]) == (
            403,
            "This needs an agent sign-in.",
        ), path
    nobody = tickets.agent("nora")
    page = nobody.html("/agent")
    assert "You own no open tickets." in page and "No new tickets in your queues." in page
    assert 'href="/admin"' not in page  # the admin link is for admins
    root = tickets.agent("rooty", {2: ("rw",)})  # group admin
    assert '<a href="/admin"' in root.html("/agent")
