"""The admin screens of GenericAgent jobs (``routes/automation.yaml``; administrators only: the ``admin`` token).

* ``automation.index``    ``GET /admin/automation``: every job with its schedule, events and last run
* ``automation.new``      ``GET /admin/automation/new``, ``automation.edit`` ``GET /admin/automation/edit?name=``
* ``automation.save``     ``POST /admin/automation/save``: validated; errors beside the fields (422)
* ``automation.preview``  ``POST /admin/automation/preview``: which tickets match now (count, first ones), from
  the unsaved form; changes nothing (htmx fragment)
* ``automation.run``      ``POST /admin/automation/run``: run a job now; ``automation.delete``: delete it

Job names may hold any character, so they travel as a form or query value, never in the path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Response, request
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from goatkit.engine.screens.respond import done, error, page
from goatkit.engine.screens.screen import AdminTool, register_tool
from goatkit.platform import current_platform
from goatkit.routing.registry import handler
from modules.automation import forms, storage, triggers
from modules.automation.fields import SEARCHED_TYPES
from modules.automation.model import PENDING_UNITS, Actions, Conditions, Job, error_messages
from modules.automation.runner import default_runtime, run_job
from modules.automation.schedule import describe
from modules.tickets.changes import utc_now
from modules.tickets.tx import run_in_transaction

log = logging.getLogger("gotrs.automation")
BASE = "/admin/automation"
register_tool(
    AdminTool(
        "automation",
        "Automation",
        BASE,
        "Jobs that change tickets on a schedule or on ticket events (OTRS GenericAgent)",
        section="Automation",
        order=10,
    )
)
UNREACHABLE = "The database cannot be reached right now; try again shortly."
DAYS = [(1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (0, "Sun")]


def _guarded(view: Callable[[], Response]) -> Response:
    try:
        return view()
    except SQLAlchemyError:
        log.exception("database error in the automation screens")
        return error(503, UNREACHABLE)


@handler("automation.index")
def index() -> Response:
    def view() -> Response:
        problems: list[str] = []
        with current_platform().engine.connect() as conn:
            jobs = storage.load_all(conn, on_error=lambda name, why: problems.append(f"{name}: {why}"))
        rows = [{"job": job, "schedule": describe(job)} for job in jobs]
        return page("automation/list.html", rows=rows, job_problems=problems)

    return _guarded(view)


@handler("automation.new")
def new() -> Response:
    return _guarded(lambda: _form(None, forms.values(None), {}))


@handler("automation.edit")
def edit() -> Response:
    def view() -> Response:
        name = request.args.get("name", "")
        with current_platform().engine.connect() as conn:
            job = storage.load(conn, name)
        if job is None:
            return error(404, f"There is no job named '{name}'.")
        return _form(job.name, forms.values(job), {})

    return _guarded(view)


def _form(original: str | None, values: dict[str, object], errors: dict[str, str], status: int = 200) -> Response:
    with current_platform().engine.connect() as conn:
        options = forms.choices(conn)
    return page(
        "automation/form.html",
        status=status,
        original=original,
        v=values,
        errors=errors,
        options=options.options,
        fields=options.fields,
        searched_types=SEARCHED_TYPES,
        days=DAYS,
        pending_units=sorted(PENDING_UNITS.items()),
    )


@handler("automation.save")
def save() -> Response:
    def view() -> Response:
        original = request.form.get("original_name") or None
        engine = current_platform().engine
        with engine.begin() as conn:
            old = storage.load(conn, original) if original else None
            if original and old is None:
                return error(404, f"There is no job named '{original}'.")
            options = forms.choices(conn)
            job, errors = forms.parse(conn, request.form, old=old, options=options, runtime=default_runtime())
            if job is not None:
                storage.save(conn, job, old_name=original)
        if job is None:
            values = forms.values(None)
            values.update(
                {key: request.form.getlist(key) if _is_list(key) else request.form.get(key) for key in request.form}
            )
            values["valid"] = request.form.get("valid") == "1"
            return _form(original, values, errors, status=422)
        triggers.forget(engine)
        return done(BASE, f"Job '{job.name}' saved.")

    return _guarded(view)


def _is_list(key: str) -> bool:
    if ".dynamic_fields." in key:
        return True
    return key.startswith("schedule_") or key == "events" or (key.startswith("conditions.") and key.endswith("_ids"))


@handler("automation.preview")
def preview() -> Response:
    def view() -> Response:
        data = forms.conditions_data(request.form)
        try:
            conditions = Conditions.model_validate(data)
        except ValidationError as invalid:
            messages = error_messages(invalid)
            return page("automation/_preview.html", problems=list(messages.values()))
        problems = list(forms.check_lambdas({"conditions": data}, default_runtime()).values())
        if conditions.empty:
            problems.append("Choose at least one condition to see which tickets match.")
        if problems:
            return page("automation/_preview.html", problems=problems)
        job = Job.model_construct(name="preview", conditions=conditions, actions=Actions(), unknown={})
        with current_platform().engine.connect() as conn:
            result = run_job(conn, job, now=utc_now(), trigger="preview", dry_run=True)
            conn.rollback()
        return page("automation/_preview.html", result=result, problems=[])

    return _guarded(view)


@handler("automation.run")
def run_now() -> Response:
    def view() -> Response:
        name = request.form.get("name", "")
        engine = current_platform().engine
        with engine.connect() as conn:
            job = storage.load(conn, name)
        if job is None:
            return error(404, f"There is no job named '{name}'.")
        result = run_in_transaction(engine, lambda conn: run_job(conn, job, now=utc_now(), trigger="manual"))
        if result.stopped:
            return done(BASE, f"Job '{name}' did not run: {result.stopped}")
        summary = f"{result.matched} matched, {len(result.changed)} changed, {len(result.failed)} failed"
        return done(BASE, f"Job '{name}' ran: {summary}.")

    return _guarded(view)


@handler("automation.delete")
def delete() -> Response:
    def view() -> Response:
        name = request.form.get("name", "")
        engine = current_platform().engine
        with engine.begin() as conn:
            removed = storage.remove(conn, name)
        if not removed:
            return error(404, f"There is no job named '{name}'.")
        triggers.forget(engine)
        return done(BASE, f"Job '{name}' deleted.")

    return _guarded(view)
