"""The module registry of a Flask app: created with the app, loaded on first use, optionally watched.

Loading needs the database, and a database that is down when the app starts must not stop it from starting (health
checks and the sign-in page keep answering).  So :func:`init_app` only builds the :class:`ModuleRegistry`; the first
request that needs a module loads it (:meth:`Modules.snapshot`), and a failed load is retried by the next one.  When
``modules_watch`` is on, the file watcher starts after that first successful load.

Example::

    init_app(app, platform)                 # in the app factory
    snapshot = modules(current_app).snapshot()   # in a view: take it once per request
    snapshot.get("priority")
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import threading

from flask import Flask, current_app

from goatkit.engine.registry import ModuleRegistry, Snapshot
from goatkit.lambdas.extension import runtime
from goatkit.platform import Platform

EXTENSION_KEY = "goatkit.modules"
_CURSOR_LABEL = b"goatkit.engine.cursor.v1"


class Modules:
    """The app's registry, loaded lazily, plus the key that signs its list cursors."""

    def __init__(self, registry: ModuleRegistry, *, watch: bool, secret_key: str) -> None:
        self.registry = registry
        self.watch = watch
        # A key of its own, derived from the app secret: a cursor signature is never usable as another signature.
        self.cursor_key = hmac.new(secret_key.encode(), _CURSOR_LABEL, hashlib.sha256).digest()
        self._loaded = False
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        """The current snapshot, loading the registry first if no load has succeeded yet (raises if that fails)."""
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self.registry.load()
                    self._loaded = True
                    if self.watch:
                        self.registry.watch()
                        atexit.register(self.stop)  # a clean stop of the observer thread at interpreter exit
        return self.registry.snapshot()

    def stop(self) -> None:
        """Stop the file watcher, if any (tests, shutdown)."""
        self.registry.stop()


def init_app(app: Flask, platform: Platform) -> Modules:
    """Attach the module registry of ``platform`` to ``app`` (no database access here).

    When the app has a lambda runtime (``goatkit.lambdas.extension.init_app``, called first), the specs' lambdas are
    checked in its sandbox as they load; otherwise a spec with lambdas is refused.
    """
    settings = platform.settings
    lambdas = runtime(app)
    registry = ModuleRegistry.for_platform(platform, lambdas.check if lambdas is not None else None)
    ext = Modules(registry, watch=settings.modules_watch, secret_key=settings.secret_key)
    app.extensions[EXTENSION_KEY] = ext
    return ext


def modules(app: Flask | None = None) -> Modules:
    """The :class:`Modules` of ``app`` (default: the current app)."""
    target = app or current_app
    ext = target.extensions.get(EXTENSION_KEY)
    if not isinstance(ext, Modules):
        raise RuntimeError("this Flask app has no module registry: call goatkit.engine.extension.init_app(app, ...)")
    return ext
