"""Running jobs: conditions, actions (OTRS history), lambdas and their failures, delete, schedule, events, loops."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from modules.automation import matching, storage
from modules.automation.model import Actions, Conditions, Job, TimePoint
from modules.tickets import dynamic_fields as dynamic
from modules.tickets import maintenance
from modules.tickets.changes import to_epoch
from tests.modules.automation.world import NOW, Auto, T
from tests.modules.tickets.dynamic_field_world import make_field
from tests.modules.tickets.ticket_world import counting

VIP = """
var company = db.queryRow("SELECT comments FROM customer_company WHERE customer_id = ?", item.customer_id);
return !!company && /VIP/.test(company.comments || '') && /outage/i.test(item.subject);
"""


def job(name: str, queue: int, **parts: Any) -> Job:
    conditions = parts.pop("conditions", {})
    actions = parts.pop("actions", {"priority_id": 5})
    return Job.model_validate(
        {"name": name, "conditions": {"queue_ids": [queue], **conditions}, "actions": actions, **parts}
    )


def test_each_condition_kind_matches_in_keyset_batches(auto: Auto) -> None:
    queue, other = auto.queue(), auto.queue()
    outage = auto.ticket(queue, "Mail outage", subject="Nothing works", customer_id="ACME")
    down = auto.ticket(queue, "Printer", subject="Server DOWN since noon", customer_id="acme")
    closed = auto.ticket(queue, "Old outage", customer_id="Other")
    auto.act("set_state", closed, "closed successful")
    auto.ticket(other, "Mail outage")
    with auto.engine.connect() as conn:

        def ids(**conditions: object) -> list[int]:
            found = Conditions.model_validate({"queue_ids": [queue], **conditions})
            return [i for batch in matching.batches(conn, found, NOW, batch=1) for i in batch]

        assert ids() == [outage, down, closed]
        assert ids(title="OUTAGE") == [outage, closed]
        assert ids(subject="down") == [down] and ids(subject="serv*noon") == [down]
        assert ids(customer_id="acme") == [outage, down] and ids(customer_id="ACM*") == [outage, down]
        assert ids(state_type_ids=[3]) == [closed]  # closed
        assert ids(state_ids=[1], priority_ids=[3], lock_ids=[1], owner_ids=[1]) == [outage, down]
        assert ids(body="it jams") == [outage, down, closed]
        assert ids(created={"start": "Before", "amount": 5, "unit": "minute"}) == []  # created now (real clock)
        later = datetime.now() + timedelta(hours=1)
        created = TimePoint(start="Before", amount=30, unit="minute")
        found = Conditions(queue_ids=[queue], created=created)
        assert [i for b in matching.batches(conn, found, later) for i in b] == [outage, down, closed]
        assert matching.count(conn, Conditions(queue_ids=[queue], title="outage"), NOW) == 2


def test_static_actions_write_otrs_history_as_user_1_and_keep_the_outcome(auto: Auto) -> None:
    queue, target = auto.queue(), auto.queue()
    agent = auto.agent()
    ticket = auto.ticket(queue)
    pending = auto.id_of("ticket_state", "pending reminder")
    actions = {
        "queue_id": target,
        "note_body": "Moved by the rule.",
        "note_subject": "Rule",
        "state_id": pending,
        "pending_amount": 2,
        "pending_unit": 3600,
        "priority_id": 4,
        "owner_id": agent,
        "responsible_id": agent,
        "lock_id": 2,
        "title": "Printer (triaged)",
    }
    result = auto.run(auto.save(job("Triage", queue, actions=actions)), trigger="manual")
    assert (result.matched, result.changed, result.failed) == (1, [ticket], [])
    row = auto.row(ticket)
    assert row is not None
    assert (row["queue_id"], row["ticket_state_id"], row["ticket_priority_id"]) == (target, pending, 4)
    assert (row["user_id"], row["responsible_user_id"], row["ticket_lock_id"]) == (agent, agent, 2)
    assert row["until_time"] == to_epoch(NOW + timedelta(hours=2))
    names = [name for name, _ in auto.history(ticket)]
    assert names[2:] == [  # after NewTicket and the phone call: OTRS's GenericAgent order
        "Move",
        "AddNote",
        "StateUpdate",
        "SetPendingTime",
        "TitleUpdate",
        "PriorityUpdate",
        "OwnerUpdate",
        "ResponsibleUpdate",
        "Lock",
        "Misc",
    ]
    assert ("AddNote", "Generic Agent note added.") in auto.history(ticket)
    assert ("SetPendingTime", "%%2024-03-15 14:00") in auto.history(ticket)
    last = auto.load("Triage").last_run
    assert (last.trigger, last.matched, last.changed, last.failed) == ("manual", 1, 1, 0)
    assert last.scheduled_at == NOW
    again = auto.run(auto.load("Triage"))
    assert again.matched == 0  # the ticket left the queue


def test_vip_outage_lambda_condition(auto: Auto) -> None:
    queue = auto.queue()
    auto.insert(
        "customer_company",
        customer_id="VIPCO",
        name="VIP Corp",
        comments="VIP since 2019",
        valid_id=1,
        create_time=NOW,
        create_by=1,
        change_time=NOW,
        change_by=1,
    )
    vip = auto.ticket(queue, "Help", subject="Total OUTAGE", customer_id="VIPCO")
    vip_other = auto.ticket(queue, "Help", subject="Question", customer_id="VIPCO")
    plain = auto.ticket(queue, "Help", subject="outage too", customer_id="ACME")
    rule = auto.save(job("VIP outage", queue, conditions={"lambda_code": VIP}))
    result = auto.run(rule)
    assert (result.matched, result.changed, result.failed) == (1, [vip], [])
    assert [auto.row(t)["ticket_priority_id"] for t in (vip, vip_other, plain)] == [5, 3, 3]  # type: ignore[index]
    assert auto.history(vip)[-1] == ("PriorityUpdate", "%%3 normal%%3%%5 very high%%5")


def test_lambda_actions_and_their_failures(auto: Auto) -> None:
    queue, target = auto.queue(), auto.queue()
    names = ["good", "throw", "loop", "bad key", "not object", "bad queue", "nothing"]
    tickets = {name: auto.ticket(queue, name) for name in names}
    code = f"""
    if (item.title === 'throw') throw new Error('no way');
    if (item.title === 'loop') {{ while (true) {{}} }}
    if (item.title === 'bad key') return {{colour: 'red'}};
    if (item.title === 'not object') return 42;
    if (item.title === 'bad queue') return {{queue: 'No such queue'}};
    if (item.title === 'nothing') return null;
    return {{queue: {target}, priority: '4 high', note: {{subject: 'Lambda', body: 'Seen ' + item.queue}}}};
    """
    rule = auto.save(job("Lambda", queue, actions={"lambda_code": code}))
    result = auto.run(rule)
    assert result.matched == len(names) and result.changed == [tickets["good"]]
    causes = {f.ticket_id: f.cause for f in result.failed}
    assert causes[tickets["throw"]].startswith("The lambda failed: ") and "no way" in causes[tickets["throw"]]
    assert "Timed out" in causes[tickets["loop"]]
    assert causes[tickets["bad key"]].startswith("The lambda action returned an unknown change 'colour'")
    assert causes[tickets["not object"]] == "The lambda action returned 42, not an object of changes."
    assert causes[tickets["bad queue"]] == "There is no queue 'No such queue'."
    assert tickets["nothing"] not in causes
    good = auto.row(tickets["good"])
    assert good is not None and (good["queue_id"], good["ticket_priority_id"]) == (target, 4)
    assert auto.row(tickets["bad queue"])["queue_id"] == queue  # type: ignore[index]
    last = auto.load("Lambda").last_run
    assert (last.matched, last.changed, last.failed) == (7, 1, 5)
    assert any("no way" in reason for reason in last.failures)


def test_lambda_condition_failures_skip_only_that_ticket(auto: Auto) -> None:
    queue = auto.queue()
    bad = auto.ticket(queue, "loop")
    good = auto.ticket(queue, "fine")
    odd = auto.ticket(queue, "odd")
    code = "if (item.title === 'loop') { while (true) {} } return item.title === 'odd' ? 'yes' : true;"
    result = auto.run(auto.save(job("Cond", queue, conditions={"lambda_code": code})))
    assert result.changed == [good]
    causes = {f.ticket_id: f.cause for f in result.failed}
    assert "Timed out" in causes[bad]
    assert causes[odd] == "The lambda condition returned 'yes', not true or false."


def test_refused_actions_and_vanished_tickets_are_skipped_with_the_reason(auto: Auto) -> None:
    queue = auto.queue()
    no_keys = auto.agent(grants={})
    first, second = auto.ticket(queue), auto.ticket(queue)
    rule = auto.save(job("Owner", queue, actions={"owner_id": no_keys, "priority_id": 4}))
    result = auto.run(rule)
    assert result.changed == [] and len(result.failed) == 2
    assert result.failed[0].cause == _not_owner(auto, no_keys, queue)
    assert auto.row(first)["ticket_priority_id"] == 3  # type: ignore[index]  # the savepoint rolled it all back
    assert second in [f.ticket_id for f in result.failed]


def test_delete_removes_the_ticket_and_its_rows(auto: Auto) -> None:
    queue = auto.queue()
    doomed, kept = auto.ticket(queue, "spam"), auto.ticket(queue, "real")
    result = auto.run(auto.save(job("Spam", queue, conditions={"title": "spam"}, actions={"delete": True})))
    assert result.changed == [doomed]
    assert auto.row(doomed) is None and auto.row(kept) is not None
    assert auto.count("article", ticket_id=doomed) == 0 and auto.count("ticket_history", ticket_id=doomed) == 0
    assert auto.count("article", ticket_id=kept) == 1


def test_unsupported_otrs_settings_stop_the_job(auto: Auto) -> None:
    queue = auto.queue()
    ticket = auto.ticket(queue)
    rule = job("Old", queue).model_copy(update={"unknown": {"NewCMD": ["/bin/true"]}})
    result = auto.run(auto.save(rule))
    assert result.stopped == "The job uses OTRS settings GOTRS does not support: NewCMD."
    assert auto.row(ticket)["ticket_priority_id"] == 3  # type: ignore[index]
    assert auto.load("Old").last_run.stopped == result.stopped


def test_scheduled_jobs_run_from_maintenance_once_per_grid_point(auto: Auto) -> None:
    queue = auto.queue()
    ticket = auto.ticket(queue)
    friday = datetime(2024, 3, 15, 10, 2)
    auto.save(job("Sched", queue, schedule_days=[5], schedule_hours=[10], schedule_minutes=[0]))
    auto.save(
        job("Later", queue, schedule_days=[5], schedule_hours=[11], schedule_minutes=[0], actions={"priority_id": 1})
    )

    def maintain(now: datetime) -> list[str]:
        with auto.desk.app.app_context(), auto.engine.begin() as conn:
            return [r.job for r in maintenance.run(conn, now).automation]

    assert maintain(friday) == ["Sched"]
    assert auto.row(ticket)["ticket_priority_id"] == 5  # type: ignore[index]
    with auto.engine.begin() as conn:
        conn.execute(update(T["ticket"]).where(T["ticket"].c.id == ticket).values(ticket_priority_id=3))
    assert maintain(friday + timedelta(minutes=5)) == []  # ran for 10:00 already
    assert maintain(datetime(2024, 3, 22, 10, 1)) == ["Sched"]  # next Friday
    assert auto.load("Sched").last_run.trigger == "schedule"


def test_event_jobs_run_after_commit_and_do_not_loop(auto: Auto) -> None:
    queue, other = auto.queue(), auto.queue()
    auto.save(job("On create", queue, events=["TicketCreate"]))
    note = {"note_body": "Seen by automation.", "note_subject": "Auto"}
    auto.save(job("Note on article", queue, events=["ArticleCreate"], actions=note))
    auto.save(job("Chain", queue, events=["TicketPriorityUpdate"], actions={"title": "Escalated"}))
    ticket = auto.ticket(queue)
    row = auto.row(ticket)
    assert row is not None and row["ticket_priority_id"] == 5 and row["title"] == "Escalated"  # chained
    assert auto.count("article", ticket_id=ticket) == 2  # the first article and ONE note: no loop
    auto.act("add_article", ticket, note_draft())
    assert auto.count("article", ticket_id=ticket) == 4  # an agent's note, then one automation note
    elsewhere = auto.ticket(other)
    assert auto.row(elsewhere)["ticket_priority_id"] == 3  # type: ignore[index]  # conditions still apply
    assert auto.load("On create").last_run.trigger == "event TicketCreate"


def note_draft() -> object:
    from modules.tickets.drafts import ArticleDraft

    return ArticleDraft(body="Agent note.")


def test_condition_free_event_job_acts_on_the_event_ticket_only(auto: Auto) -> None:
    queue = auto.queue()
    before = auto.ticket(queue)
    auto.save(Job(name="Any new", events=["TicketCreate"], actions=Actions(priority_id=2)))
    ticket = auto.ticket(queue)
    assert auto.row(ticket)["ticket_priority_id"] == 2  # type: ignore[index]
    assert auto.row(before)["ticket_priority_id"] == 3  # type: ignore[index]
    assert (
        auto.run(auto.load("Any new")).stopped == "The job has no conditions; it runs on the ticket of its events only."
    )


def _not_owner(auto: Auto, user_id: int, queue_id: int) -> str:
    from modules.tickets.errors import not_assignable

    with auto.engine.connect() as conn:
        login = conn.execute(T["users"].select().where(T["users"].c.id == user_id)).mappings().one()["login"]
        queue = conn.execute(T["queue"].select().where(T["queue"].c.id == queue_id)).mappings().one()["name"]
    return str(not_assignable("owner", login, queue, "owner"))


def test_dynamic_field_conditions_and_actions(auto: Auto) -> None:
    queue = auto.queue()
    text = make_field(auto.engine, "Text", prefix="Company")
    menu = make_field(auto.engine, "Dropdown", prefix="Category", PossibleValues={"hw": "Hardware", "sw": "Software"})
    flag = make_field(auto.engine, "Checkbox", prefix="Flag")
    vip = auto.ticket(queue, "Outage")
    auto.act("set_dynamic_fields", vip, {text: "ACME Corp", menu: "hw"})
    other = auto.ticket(queue, "Outage too")
    auto.act("set_dynamic_fields", other, {text: "Globex", menu: "sw", flag: "1"})
    plain = auto.ticket(queue, "No fields")
    with auto.engine.connect() as conn:

        def ids(**fields: list[str]) -> list[int]:
            found = Conditions(queue_ids=[queue], dynamic_fields=fields)
            return [i for batch in matching.batches(conn, found, NOW) for i in batch]

        assert ids() == [vip, other, plain]
        assert ids(**{text: ["acme corp"]}) == [vip]  # the whole value, ignoring case
        assert (
            ids(**{text: ["acme"]}) == []
            and ids(**{text: ["acme*"]}) == [vip]
            and ids(**{text: ["*o*"]})
            == [
                vip,
                other,
            ]
        )
        assert ids(**{menu: ["hw", "sw"]}) == [vip, other] and ids(**{menu: ["sw"]}) == [other]
        assert ids(**{flag: ["1"]}) == [other] and ids(**{menu: ["hw"], flag: ["1"]}) == []
    actions = {"dynamic_fields": {menu: ["sw"], flag: ["1"]}}
    result = auto.run(
        auto.save(job("Recategorize", queue, conditions={"dynamic_fields": {text: ["acme*"]}}, actions=actions))
    )
    assert (result.matched, result.changed, result.failed) == (1, [vip], [])
    with auto.engine.connect() as conn:
        fields = dynamic.definitions(conn)
        assert dynamic.read_values(conn, [fields[menu], fields[flag]], [vip])[vip] == {menu: "sw", flag: 1}
    updates = [name for kind, name in auto.history(vip) if kind == "TicketDynamicFieldUpdate"]
    assert f"%%FieldName%%{menu}%%Value%%sw%%OldValue%%hw" in updates and len(updates) == 4  # 2 by hand, 2 by the job
    again = auto.run(auto.load("Recategorize"))
    assert (again.matched, again.changed) == (1, [])  # the values are already set: nothing changes, no history


def test_a_job_whose_dynamic_fields_do_not_fit_does_not_run(auto: Auto) -> None:
    queue = auto.queue()
    menu = make_field(auto.engine, "Dropdown", prefix="Menu", PossibleValues={"a": "A"})
    ticket = auto.ticket(queue)
    cases = [
        ({"dynamic_fields": {"Nonexistent": ["x"]}}, {"priority_id": 5}, "There is no valid dynamic field"),
        ({}, {"dynamic_fields": {menu: ["zz"]}}, "'zz' is not a possible value"),
        ({"dynamic_fields": {menu: ["zz"]}}, {"priority_id": 5}, "'zz' is not a possible value"),
    ]
    for n, (conditions, actions, message) in enumerate(cases):
        result = auto.run(auto.save(job(f"Misfit {n}", queue, conditions=conditions, actions=actions)))
        assert result.stopped is not None and message in result.stopped, result.stopped
        assert (result.matched, result.changed) == (0, [])
    row = auto.row(ticket)
    assert row is not None and row["ticket_priority_id"] == 3  # untouched


def test_lambdas_read_and_set_dynamic_fields(auto: Auto) -> None:
    queue = auto.queue()
    menu = make_field(auto.engine, "Dropdown", prefix="Tier", PossibleValues={"gold": "Gold", "std": "Standard"})
    parts = make_field(auto.engine, "Multiselect", prefix="Part", PossibleValues={"a": "A", "b": "B"})
    gold, plain, wrong = auto.ticket(queue, "gold"), auto.ticket(queue, "plain"), auto.ticket(queue, "wrong")
    auto.act("set_dynamic_fields", gold, {menu: "gold", parts: ["a", "b"]})
    auto.act("set_dynamic_fields", wrong, {menu: "gold"})
    condition = f"return item.dynamic_fields.{menu} === 'gold';"
    action = f"""
    if (item.title === 'wrong') return {{dynamic_fields: {{{menu}: 'platinum'}}}};
    return {{dynamic_fields: {{{parts}: item.dynamic_fields.{parts}.concat([]).reverse().slice(1), {menu}: 'std'}}}};
    """
    result = auto.run(
        auto.save(job("Tiers", queue, conditions={"lambda_code": condition}, actions={"lambda_code": action}))
    )
    assert result.matched == 2 and result.changed == [gold]  # plain has no Tier: the condition is false
    causes = {f.ticket_id: f.cause for f in result.failed}
    assert "'platinum' is not a possible value of Tier label" in causes[wrong]
    with auto.engine.connect() as conn:
        fields = dynamic.definitions(conn)
        found = dynamic.read_values(conn, [fields[menu], fields[parts]], [gold, plain, wrong])
    assert found[gold] == {menu: "std", parts: ["a"]} and found[wrong] == {menu: "gold"} and plain not in found


def test_items_are_read_once_per_batch_and_only_for_lambdas(auto: Auto) -> None:
    queue = auto.queue()
    first, second = auto.ticket(queue, "one"), auto.ticket(queue, "two")
    both = job(
        "Both lambdas",
        queue,
        conditions={"lambda_code": "return item.title === 'one';"},
        actions={"lambda_code": "return {priority: '4 high'};"},
    )
    plain = job("No lambda", queue, actions={"priority_id": 2})
    for rule, changed, item_reads in ((both, [first], 1), (plain, [first, second], 0)):
        with counting(auto.engine) as statements:
            result = auto.run(auto.save(rule))
        assert result.changed == changed
        first_articles = [s for s in statements if "min(article.id)" in s]  # items' read of the first articles
        assert len(first_articles) == item_reads, statements


def test_date_field_time_points_and_slots(auto: Auto) -> None:
    queue = auto.queue()
    due = make_field(auto.engine, "Date", prefix="Due")
    seen = make_field(auto.engine, "DateTime", prefix="Seen")
    past, soon, far, empty = (auto.ticket(queue, title) for title in ("Past", "Soon", "Far", "No dates"))
    auto.act("set_dynamic_fields", past, {due: "2024-03-05", seen: "2024-03-15 10:30:00"})  # NOW is 03-15 12:00
    auto.act("set_dynamic_fields", soon, {due: "2024-03-18", seen: "2024-03-14 12:00:00"})
    auto.act("set_dynamic_fields", far, {due: "2024-05-01"})
    with auto.engine.connect() as conn:

        def ids(name: str, **time: Any) -> list[int]:
            found = Conditions(queue_ids=[queue], dynamic_times={name: time})
            return [i for batch in matching.batches(conn, found, NOW) for i in batch]

        def point(start: str, amount: int, unit: str) -> dict[str, Any]:
            return {"point": {"start": start, "amount": amount, "unit": unit}}

        assert ids(due, **point("Before", 7, "day")) == [past]  # 03-05 is before 03-08 12:00
        assert ids(due, **point("Last", 11, "day")) == [past]
        assert ids(due, **point("Last", 10, "day")) == []  # from 03-05 12:00: the date's midnight is before
        assert ids(due, **point("Next", 5, "day")) == [soon]
        assert ids(due, **point("After", 30, "day")) == [far]  # 05-01 is after 04-14 12:00
        assert ids(due, since="2024-03-01T00:00", until="2024-03-18T00:00") == [past, soon]  # both ends included
        assert ids(seen, **point("Last", 2, "hour")) == [past] and ids(seen, **point("Last", 1, "hour")) == []
        assert ids(seen, **point("Last", 1, "day")) == [past, soon]
        assert empty not in ids(due, since="1970-01-01T00:00", until="2999-01-01T00:00")  # no value, no match
    result = auto.run(auto.save(job("Soon due", queue, conditions={"dynamic_times": {due: point("Next", 5, "day")}})))
    assert (result.matched, result.changed) == (1, [soon])
    text = make_field(auto.engine, "Text", prefix="Note")
    misfit = job("Text time", queue, conditions={"dynamic_times": {text: point("Last", 1, "day")}})
    refused = auto.run(auto.save(misfit))
    assert refused.stopped is not None and "A time condition needs a Date or DateTime field" in refused.stopped
    assert refused.matched == 0


def test_checkbox_and_date_fields_run_as_stored_in_otrs_keys(auto: Auto) -> None:
    queue = auto.queue()
    flag = make_field(auto.engine, "Checkbox", prefix="Flag")
    due = make_field(auto.engine, "Date", prefix="Due")
    ticked, unticked, unset = auto.ticket(queue, "Ticked"), auto.ticket(queue, "Unticked"), auto.ticket(queue, "Unset")
    auto.act("set_dynamic_fields", ticked, {flag: "1"})
    auto.act("set_dynamic_fields", unticked, {flag: "0"})
    actions = {"dynamic_fields": {flag: ["1"], due: ["2031-05-06"]}}
    auto.save(job("Tick", queue, conditions={"dynamic_fields": {flag: ["0"]}}, actions=actions))
    with auto.engine.connect() as conn:
        rows = dict(storage.raw(conn, "Tick")["Tick"])
    assert rows[f"Search_DynamicField_{flag}"] == "-1" and rows[f"DynamicField_{flag}Used"] == "1"
    assert (rows[f"DynamicField_{due}Used"], rows[f"DynamicField_{due}Month"]) == ("1", "05")
    result = auto.run(auto.load("Tick"))  # read back from OTRS's keys
    assert (result.matched, result.changed) == (1, [unticked])  # unchecked: the stored 0, not "no value"
    with auto.engine.connect() as conn:
        fields = dynamic.definitions(conn)
        values = dynamic.read_values(conn, [fields[flag], fields[due]], [ticked, unticked, unset])
    assert values[unticked] == {flag: 1, due: date(2031, 5, 6)} and values[ticked] == {flag: 1}


def test_a_job_note_has_its_otrs_tags_replaced(auto: Auto) -> None:
    queue, target = auto.queue(), auto.queue()
    ticket = auto.ticket(queue, "Printer jams")
    note = {
        "queue_id": target,
        "note_subject": "<OTRS_TICKET_TicketNumber>: <OTRS_TICKET_Title>",
        "note_body": "Moved to <OTRS_TICKET_Queue> (<OTRS_QUEUE>) by <OTRS_CONFIG_Ticket::Hook>. "
        "<OTRS_CONFIG_DatabasePw>",
    }
    result = auto.run(auto.save(job("Tagged", queue, actions=note)))
    assert result.changed == [ticket]
    with auto.engine.connect() as conn:
        article, mime = T["article"], T["article_data_mime"]
        tn, target_name = (
            conn.execute(select(T["ticket"].c.tn).where(T["ticket"].c.id == ticket)).scalar_one(),
            conn.execute(select(T["queue"].c.name).where(T["queue"].c.id == target)).scalar_one(),
        )
        subject, body = conn.execute(
            select(mime.c.a_subject, mime.c.a_body)
            .select_from(article.join(mime, mime.c.article_id == article.c.id))
            .where(article.c.ticket_id == ticket)
            .order_by(article.c.id.desc())
            .limit(1)
        ).one()
    assert subject == f"{tn}: Printer jams"  # the ticket as it is when the note is added: after the move
    assert body == f"Moved to {target_name} ({target_name}) by Ticket#. -"  # no secret setting, ever


def test_service_and_sla_actions_static_and_from_a_lambda(auto: Auto) -> None:
    queue = auto.queue()
    audit = {"create_time": NOW, "create_by": 1, "change_time": NOW, "change_by": 1}
    mail, web = auto.unique("Mail"), auto.unique("Web")
    for name in (mail, web):
        auto.insert("service", name=name, valid_id=1, **audit)
    gold, silver = auto.unique("Gold"), auto.unique("Silver")
    for name in (gold, silver):
        auto.insert("sla", name=name, first_response_time=0, update_time=0, solution_time=0, valid_id=1, **audit)
    ids = {name: auto.id_of(table, name) for table, name in (("service", mail), ("service", web), ("sla", gold))}
    ids[silver] = auto.id_of("sla", silver)
    auto.insert("service_sla", service_id=ids[mail], sla_id=ids[gold])
    auto.insert("service_sla", service_id=ids[web], sla_id=ids[silver])
    for name in (mail, web):
        auto.insert("service_customer_user", customer_user_login="<DEFAULT>", service_id=ids[name], **audit_of(audit))
    first, second = auto.ticket(queue, "First"), auto.ticket(queue, "Second")
    static = job("Mail gold", queue, actions={"service_id": ids[mail], "sla_id": ids[gold]})
    result = auto.run(auto.save(static))
    assert result.changed == [first, second] and result.failed == []
    row = auto.row(first)
    assert row is not None and (row["service_id"], row["sla_id"]) == (ids[mail], ids[gold])
    assert [kind for kind, _ in auto.history(first)][-2:] == ["ServiceUpdate", "SLAUpdate"]  # OTRS's order
    code = f"return item.title === 'Second' ? {{service: '{web}', sla: '{silver}'}} : {{sla: '{silver}'}};"
    lambda_job = job("Web silver", queue, actions={"lambda_code": code})
    moved = auto.run(auto.save(lambda_job))
    assert moved.changed == [second] and len(moved.failed) == 1  # silver is not an SLA of the first's service
    assert first in {failure.ticket_id for failure in moved.failed}
    row = auto.row(second)
    assert row is not None and (row["service_id"], row["sla_id"]) == (ids[web], ids[silver])


def audit_of(audit: dict[str, Any]) -> dict[str, Any]:
    return {"create_time": audit["create_time"], "create_by": audit["create_by"]}


def test_pending_and_escalation_goal_time_points(auto: Auto) -> None:
    queue = auto.queue()
    soon, later, plain = auto.ticket(queue, "Soon"), auto.ticket(queue, "Later"), auto.ticket(queue, "Plain")
    epochs = {
        soon: {"until_time": NOW + timedelta(hours=1), "escalation_response_time": NOW - timedelta(minutes=30)},
        later: {"until_time": NOW + timedelta(days=3), "escalation_solution_time": NOW + timedelta(hours=2)},
    }
    with auto.engine.begin() as conn:
        for ticket_id, values in epochs.items():
            at = {column: to_epoch(moment) for column, moment in values.items()}
            conn.execute(update(T["ticket"]).where(T["ticket"].c.id == ticket_id).values(**at))
    with auto.engine.connect() as conn:

        def ids(field: str, start: str, amount: int, unit: str) -> list[int]:
            point = {"start": start, "amount": amount, "unit": unit}
            found = Conditions.model_validate({"queue_ids": [queue], field: point})
            return [i for batch in matching.batches(conn, found, NOW) for i in batch]

        assert ids("pending", "Next", 2, "hour") == [soon] and ids("pending", "Next", 4, "day") == [soon, later]
        assert ids("escalation_response", "Last", 1, "hour") == [soon]  # overdue by 30 minutes
        assert ids("escalation_solution", "Next", 3, "hour") == [later]
        assert ids("escalation_update", "Before", 1, "minute") == []  # 0: no goal, never a match
        assert plain not in ids("pending", "Before", 1, "minute")
    pending = {"pending": {"start": "Next", "amount": 2, "unit": "hour"}}
    result = auto.run(auto.load(auto.save(job("Pending soon", queue, conditions=pending)).name))  # stored and read
    assert result.changed == [soon]


def test_ticket_time_slots_match_whole_days(auto: Auto) -> None:
    queue = auto.queue()
    early, late = auto.ticket(queue, "Early"), auto.ticket(queue, "Late")
    with auto.engine.begin() as conn:
        for ticket_id, moment in ((early, datetime(2024, 3, 1, 0, 0)), (late, datetime(2024, 3, 4, 23, 59, 59))):
            conn.execute(update(T["ticket"]).where(T["ticket"].c.id == ticket_id).values(create_time=moment))
    with auto.engine.connect() as conn:

        def ids(since: str, until: str) -> list[int]:
            found = Conditions.model_validate({"queue_ids": [queue], "created": {"since": since, "until": until}})
            return [i for batch in matching.batches(conn, found, NOW) for i in batch]

        assert ids("2024-03-01", "2024-03-04") == [early, late]  # both days whole, both ends included
        assert ids("2024-03-02", "2024-03-04") == [late] and ids("2024-03-01", "2024-03-03") == [early]
    slot = {"created": {"since": "2024-03-04", "until": "2024-03-04"}}
    result = auto.run(auto.load(auto.save(job("March 4th", queue, conditions=slot)).name))  # stored and read
    assert result.changed == [late]
