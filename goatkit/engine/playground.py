"""The lambda playground: choose a module and one of its lambdas, edit it, run it on real rows, save it back.

Routes (``routes/lambdas.yaml``, middleware ``[auth]``; administrators only, checked here):

* ``lambdas.playground.index``  ``GET /admin/lambdas``: the modules, with their lambdas
* ``lambdas.playground.page``   ``GET /admin/lambdas/<module>?key=<spec key>``: the editor
* ``lambdas.playground.run``    ``POST .../run``: a trial (``trial.py``), as an htmx fragment or JSON
* ``lambdas.playground.save``   ``POST .../save``: the code checked, then written into the module file (or the
  shared ``lambdas/<name>.js``) without touching the rest of it; the registry reloads at once

Running is read-only whatever the lambda does; only an administrator may run or save, because a lambda reads data.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Response, request
from sqlalchemy.exc import SQLAlchemyError

from goatkit.engine import access
from goatkit.engine.extension import modules
from goatkit.engine.fieldtypes import label_text
from goatkit.engine.model import ResolvedModule
from goatkit.engine.query import QueryError
from goatkit.engine.screens import respond
from goatkit.engine.screens.respond import Stop, error, json_wanted, page
from goatkit.engine.screens.screen import AdminTool, register_tool
from goatkit.engine.trial import DEFAULT_ROWS, MAX_ROWS, SCRATCH, Trial, programs_of, run_trial
from goatkit.lambdas.extension import runtime
from goatkit.lambdas.yamledit import EditRefused, replace_scalar, write_atomically
from goatkit.platform import current_platform
from goatkit.routing.registry import handler

log = logging.getLogger("goatkit.lambdas")
MAX_CODE = 16 * 1024
register_tool(
    AdminTool(
        "lambdas",
        "Lambda playground",
        "/admin/lambdas",
        "Edit a module's JavaScript lambdas, run them on real rows (read-only), save them",
        section="Automation",
        order=20,
    )
)


@handler("lambdas.playground.index")
def index_view() -> Response:
    return _guard(_index)


@handler("lambdas.playground.page")
def page_view(module: str) -> Response:
    return _guard(lambda: _page(_module(module)))


@handler("lambdas.playground.run")
def run_view(module: str) -> Response:
    return _guard(lambda: _run(_module(module)))


@handler("lambdas.playground.save")
def save_view(module: str) -> Response:
    return _guard(lambda: _save(_module(module)))


def _guard(view: Callable[[], Response]) -> Response:
    try:
        if not access.is_admin():
            return error(403, "Only administrators may use the lambda playground.")
        return view()
    except Stop as stop:
        return stop.response
    except QueryError as bad:
        return error(400, str(bad))
    except SQLAlchemyError:
        log.exception("database error in the lambda playground")
        return error(503, "The database cannot be reached right now; try again shortly.")


def _module(name: str) -> ResolvedModule:
    found = modules().snapshot().get(name)
    if found is None or found.relation is not None:
        raise Stop(error(404, f"No module named '{name}' with records."))
    return found


def _index() -> Response:
    snapshot = modules().snapshot()
    listed = [
        {"name": m.name, "label": label_text(m.spec.module.plural, m.name), "lambdas": len(m.lambdas.all())}
        for m in sorted(snapshot.values(), key=lambda m: m.name)
        if m.relation is None
    ]
    if json_wanted():
        return respond.json({"modules": listed})
    return page("goatkit/lambdas/index.html", modules=listed)


def _page(module: ResolvedModule) -> Response:
    programs = programs_of(module)
    key = request.args.get("key", next(iter(programs), ""))
    if key and key not in programs:
        raise QueryError(f"Module '{module.name}' has no lambda at '{key}'.")
    program = programs.get(key, SCRATCH)
    code = program.code or "return item." + (module.fields[0].name if module.fields else "id") + ";"
    context: dict[str, Any] = {
        "module": module,
        "title": label_text(module.spec.module.plural, module.name),
        "programs": programs,
        "key": key,
        "program": program,
        "code": code,
        "args": json.dumps(dict(program.args), ensure_ascii=False) if program.args else "",
        "rows": DEFAULT_ROWS,
        "max_rows": MAX_ROWS,
    }
    return page("goatkit/lambdas/playground.html", **context)


def _form() -> tuple[str, str, list[str], Any]:
    data: Any = request.get_json(silent=True) if request.is_json else request.form
    if data is None or not hasattr(data, "get"):
        raise QueryError("Send the code as a form or a JSON object.")
    code, key = str(data.get("code") or ""), str(data.get("key") or "")
    if not code.strip():
        raise QueryError("Write the lambda's code first.")
    if len(code) > MAX_CODE:
        raise QueryError(f"The code has {len(code)} characters; a lambda may have {MAX_CODE}.")
    raw_ids = data.get("ids") or ""
    ids = [part for part in (raw_ids if isinstance(raw_ids, list) else str(raw_ids).split(",")) if str(part).strip()]
    args: Any = None
    raw_args = data.get("args")
    if isinstance(raw_args, dict):
        args = raw_args
    elif isinstance(raw_args, str) and raw_args.strip():
        try:
            args = json.loads(raw_args)
        except json.JSONDecodeError as bad:
            raise QueryError(f"The arguments are not a JSON object: {bad.msg} (column {bad.colno}).") from None
        if not isinstance(args, dict):
            raise QueryError('The arguments must be a JSON object, such as {"days": 7}.')
    return code, key, [str(i) for i in ids], args


def _run(module: ResolvedModule) -> Response:
    code, key, ids, args = _form()
    with current_platform().reading() as conn:
        trial = run_trial(conn, module, key, code, ids=ids, args=args)
    if json_wanted():
        return respond.json(_trial_json(trial))
    return respond.fragment("goatkit/lambdas/_trial.html", trial=trial)


def _trial_json(trial: Trial) -> dict[str, Any]:
    problem = trial.problem
    return {
        "problem": None if problem is None else {"kind": problem.kind, "message": problem.message,
                                                 "line": trial.problem_line},
        "rows": [
            {"key": row.key, "text": row.text, "value": json.loads(row.value), "logs": list(row.outcome.logs),
             "ms": row.outcome.ms, "failure": None if row.outcome.failure is None else row.outcome.failure.kind}
            for row in trial.rows
        ],
        "total_ms": round(trial.total_ms, 2),
        "rounds": trial.rounds,
        "queries": trial.queries,
    }  # fmt: skip


def _save(module: ResolvedModule) -> Response:
    code, key, _ids, _args = _form()
    program = programs_of(module).get(key)
    if program is None:
        raise QueryError(f"Module '{module.name}' has no lambda at '{key}' to save; add it to the module file first.")
    found = runtime()
    checked = found.check(code) if found is not None else None
    if checked is None or checked.problem is not None:
        message = checked.problem.message if checked is not None and checked.problem else "Lambdas are not enabled."
        return error(422, f"Not saved: {message}")
    try:
        if program.shared:
            target = Path(program.origin)
            write_atomically(target, code if code.endswith("\n") else code + "\n")
        else:
            target = module.source
            write_atomically(
                target, replace_scalar(target.read_text(encoding="utf-8"), module.name, program.path, code)
            )
    except (EditRefused, OSError) as refused:
        return error(409, f"Not saved: {refused}")
    snapshot = modules().registry.load()
    log.info("lambda %s of module %s saved to %s", key, module.name, target)
    mine = [str(p) for p in snapshot.problems if p.file == str(target)]
    if mine:
        return error(409, f"Saved to {target.name}, but the module now has a problem: {mine[0]}")
    if json_wanted():
        return respond.json({"saved": str(target), "key": key})
    return respond.done(f"/admin/lambdas/{module.name}?key={key}", f"Lambda saved to {target.name}.")
