"""Security headers on every response: pages, JSON, errors and static files alike.

* ``Content-Security-Policy``: ``settings.content_security_policy`` (default: self-hosted scripts and styles only,
  no inline script or style, no eval, no framing; the page shell works under it, see docs/FRONTEND.md).
* ``X-Frame-Options: DENY`` (older browsers; ``frame-ancestors 'none'`` in the CSP for the others).
* ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: strict-origin-when-cross-origin``,
  ``Cross-Origin-Opener-Policy: same-origin``.
* ``Permissions-Policy``: camera, microphone, geolocation, payment and USB off.
* ``Strict-Transport-Security`` (one year) on responses to https requests only.

A view may set its own value for any of these; it is kept.

Example::

    init_security_headers(app)          # after Platform(settings).init_app(app)
"""

from __future__ import annotations

from flask import Flask, Response, request

from goatkit.platform import current_platform
from goatkit.settings import DEFAULT_CSP

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000"

STATIC_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}


def init_security_headers(app: Flask) -> None:
    """Add the headers above to every response of ``app``."""
    try:
        policy = current_platform(app).settings.content_security_policy
    except RuntimeError:  # an app without a platform still gets the default policy
        policy = DEFAULT_CSP

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        for name, value in STATIC_HEADERS.items():
            headers.setdefault(name, value)
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
