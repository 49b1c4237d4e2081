"""Rendering the admin hooks' template partials (``modules/templates/admin/``) as markup for the engine's screens."""

from __future__ import annotations

from typing import Any

from flask import render_template
from markupsafe import Markup


def partial(template: str, **context: Any) -> Markup:
    """``render_template`` output as :class:`Markup`: Jinja autoescapes every value, so the result is safe HTML.

    Example::

        partial("admin/mail_account_password.html", has_password=True)
    """
    return Markup(render_template(template, **context))  # noqa: S704 - autoescaped template output
