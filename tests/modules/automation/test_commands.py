"""``gotrs automation list|run`` on a real database: a dry run changes nothing, a named run does, unknown names fail."""

from __future__ import annotations

from click.testing import CliRunner

from modules.automation.commands import automation_group
from modules.automation.model import Actions, Conditions, Job
from tests.modules.automation.world import Auto


def invoke(auto: Auto, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(automation_group, list(args), obj=lambda: auto.desk.app)
    return result.exit_code, result.output


def test_list_dry_run_and_run_a_named_job(auto: Auto) -> None:
    queue = auto.queue()
    first, second = auto.ticket(queue, "Outage in Berlin"), auto.ticket(queue, "Outage in Paris")
    auto.ticket(queue, "Printer")
    job = Job(name="Outages", conditions=Conditions(queue_ids=[queue], title="outage"), actions=Actions(priority_id=5))
    auto.save(job)

    code, listed = invoke(auto, "list")
    assert code == 0 and listed.startswith("Outages | valid | ") and "last run never" in listed

    code, dry = invoke(auto, "run", "--job", "Outages", "--dry-run")
    assert code == 0, dry
    assert dry.splitlines()[0] == "Outages: 2 ticket(s) match (dry run, nothing changed)."
    assert {auto.row(t)["ticket_priority_id"] for t in (first, second)} == {3}  # untouched

    code, ran = invoke(auto, "run", "--job", "Outages")
    assert (code, ran) == (0, "Outages: 2 matched, 2 changed, 0 failed.\n")
    assert {auto.row(t)["ticket_priority_id"] for t in (first, second)} == {5}
    assert "last run " in invoke(auto, "list")[1] and "2 matched, 2 changed, 0 failed" in invoke(auto, "list")[1]


def test_an_unknown_job_is_named_and_fails(auto: Auto) -> None:
    code, output = invoke(auto, "run", "--job", "Nope")
    assert code == 1 and "There is no job named 'Nope'." in output
