"""One view, three answers: a full page, an htmx fragment or JSON, chosen by the request.

* ``Accept: application/json`` (or a JSON body) gets JSON, in the shapes of the JSON API (``engine/api.py``).
* ``HX-Request`` gets the page's body without the shell (``_fragment.html``), or only the table when htmx targets
  ``#gk-table``; a history restore (``HX-History-Restore-Request``) or a boosted request gets the full page.
* Anything else gets the full page (``_page.html``: the shell, breadcrumbs, the registry problems banner).

Errors follow the same split: JSON ``{"error": ...}``, an htmx alert swapped into ``#gk-alert`` (``HX-Retarget``;
goatkit.js swaps error answers that name their own target), or the error page.

Example::

    return page("goatkit/engine/detail.html", screen=screen, row=row)       # page or fragment
    raise Stop(error(404, "Priority 9 does not exist."))
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.routing import BuildError

from goatkit.engine import access
from goatkit.engine.extension import modules
from goatkit.errors import error_response, wants_json

PAGE, FRAGMENT, TABLE = "goatkit/engine/_page.html", "goatkit/engine/_fragment.html", "gk-table"


class Stop(Exception):
    """Ends a request with ``response``, already rendered."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def is_htmx() -> bool:
    """An htmx request that wants a fragment (not a history restore or a boosted navigation)."""
    headers = request.headers
    return headers.get("HX-Request") == "true" and not (
        headers.get("HX-History-Restore-Request") == "true" or headers.get("HX-Boosted") == "true"
    )


def json_wanted() -> bool:
    return wants_json() or request.is_json


def wants_table() -> bool:
    return is_htmx() and request.headers.get("HX-Target") == TABLE


def problems() -> dict[str, Any]:
    """The registry's problems for the banner: shown to administrators only."""
    if not access.is_admin():
        return {"problems": [], "stale": []}
    snapshot = modules().snapshot()
    return {"problems": [str(p) for p in snapshot.problems], "stale": sorted(snapshot.stale)}


def page(template: str, *, status: int = 200, **context: Any) -> Response:
    """``template`` as a full page, or as a fragment for htmx."""
    layout = FRAGMENT if is_htmx() else PAGE
    extra = problems() if layout == PAGE else {}
    response = Response(render_template(template, layout=layout, **extra, **context), mimetype="text/html")
    response.status_code = status
    if is_htmx():
        response.headers["Vary"] = "HX-Request"
    return response


def fragment(template: str, **context: Any) -> Response:
    return Response(render_template(template, **context), mimetype="text/html")


def json(body: Any, status: int = 200, **headers: str) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers)
    return response


def error(status: int, message: str) -> Response:
    """One sentence, as JSON, as an htmx alert (swapped into ``#gk-alert``) or as the error page."""
    if is_htmx() and not json_wanted():
        response = fragment("goatkit/engine/_alert.html", message=message, tone="error")
        response.status_code = status
        response.headers.update({"HX-Retarget": "#gk-alert", "HX-Reswap": "innerHTML"})
        return response
    return error_response(status, message)


def done(url: str, message: str) -> Response:
    """After a change: flash ``message``, then go to ``url`` (303, or ``HX-Redirect`` for htmx)."""
    flash(message, "success")
    if request.headers.get("HX-Request") == "true":
        return Response(status=200, headers={"HX-Redirect": url})
    response: Response = redirect(url, 303)  # type: ignore[assignment]  # flask's app builds a flask Response
    return response


def optional_url(endpoint: str, **values: Any) -> str | None:
    """``url_for(endpoint)``, or ``None`` when no route serves it (a feature another part of the app may add)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None
