"""Hot reload of the route files (``GOTRS_ROUTES_WATCH=1``), for development.

A watchdog observer reports changes to ``*.yaml``/``*.yml`` files of the routes directory (editors that save by
renaming a temporary file included).  A single reload thread waits for them, lets a burst settle (``debounce``
seconds), and calls :meth:`Router.reload`, which builds a complete new table and swaps it in, or logs the errors
(file:line) and keeps the table it has.  New handler names need a restart: handlers are Python code.

Example::

    watcher = RouteWatcher(router)
    watcher.start()
    ...
    watcher.stop()
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

if TYPE_CHECKING:
    from goatkit.routing.table import Router

log = logging.getLogger("goatkit.routing")

ROUTE_SUFFIXES = (".yaml", ".yml")


class _Changes(FileSystemEventHandler):
    def __init__(self, changed: threading.Event) -> None:
        self.changed = changed

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type in ("opened", "closed_no_write"):
            return
        paths = [os.fsdecode(event.src_path), os.fsdecode(event.dest_path)]
        if any(path.endswith(ROUTE_SUFFIXES) for path in paths):
            self.changed.set()


class RouteWatcher:
    """Reloads a router's table when its route files change."""

    def __init__(self, router: Router, debounce: float = 0.2) -> None:
        self.router = router
        self.debounce = debounce
        self._changed = threading.Event()
        self._stopping = threading.Event()
        self._observer = Observer()
        self._observer.daemon = True
        self._thread = threading.Thread(target=self._run, name="goatkit-routes-reload", daemon=True)

    def start(self) -> None:
        self._observer.schedule(_Changes(self._changed), str(self.router.directory), recursive=False)
        self._observer.start()
        self._thread.start()
        log.info("watching %s for route changes", self.router.directory)

    def stop(self) -> None:
        self._stopping.set()
        self._changed.set()
        self._observer.stop()
        self._observer.join(timeout=5)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            self._changed.wait()
            if self._stopping.is_set():
                return
            self._stopping.wait(self.debounce)  # let a burst of events (save, rename, touch) settle
            self._changed.clear()
            if self._stopping.is_set():
                return
            try:
                self.router.reload()
            except Exception:  # the watcher must survive anything a half-written file does
                log.exception("route reload failed; keeping the previous table")
