"""Hot reload of YAML folders: one watchdog observer, one reload thread, a short debounce.

Routes (``goatkit.routing``) and modules (``goatkit.engine``) both reload data folders while the application serves.
A watchdog observer reports changes to ``*.yaml``/``*.yml`` files directly inside the watched directories (editors
that save by renaming a temporary file included).  A single reload thread waits for them, lets a burst settle
(``debounce`` seconds), and calls ``reload``.  ``reload`` must build its new state completely and swap it in with one
assignment, or keep the old state; whatever it raises is logged and the watcher carries on.

Example::

    watcher = YamlWatcher([Path("modules")], registry.load, what="module", log=log)
    watcher.start()
    ...
    watcher.stop()
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

YAML_SUFFIXES = (".yaml", ".yml")


class _Changes(FileSystemEventHandler):
    def __init__(self, changed: threading.Event, suffixes: tuple[str, ...]) -> None:
        self.changed = changed
        self.suffixes = suffixes

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type in ("opened", "closed_no_write"):
            return
        paths = [os.fsdecode(event.src_path), os.fsdecode(event.dest_path)]
        if any(path.endswith(self.suffixes) for path in paths):
            self.changed.set()


class YamlWatcher:
    """Calls ``reload`` shortly after a YAML file of ``directories`` is added, changed, renamed or deleted."""

    def __init__(
        self,
        directories: Iterable[Path],
        reload: Callable[[], object],
        *,
        what: str,
        log: logging.Logger,
        debounce: float = 0.2,
        suffixes: tuple[str, ...] = YAML_SUFFIXES,
    ) -> None:
        self.suffixes = suffixes
        self.directories = list(dict.fromkeys(Path(d) for d in directories))
        self.reload = reload
        self.what = what
        self.log = log
        self.debounce = debounce
        self._changed = threading.Event()
        self._stopping = threading.Event()
        self._observer = Observer()
        self._observer.daemon = True
        self._thread = threading.Thread(target=self._run, name=f"goatkit-{what}-reload", daemon=True)

    def start(self) -> None:
        for directory in self.directories:
            if not directory.is_dir():
                self.log.warning("not watching %s for %s changes: no such directory", directory, self.what)
                continue
            self._observer.schedule(_Changes(self._changed, self.suffixes), str(directory), recursive=False)
            self.log.info("watching %s for %s changes", directory, self.what)
        self._observer.start()
        self._thread.start()

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
                self.reload()
            except Exception:  # the watcher must survive anything a half-written file (or the database) does
                self.log.exception("%s reload failed; keeping the previous state", self.what)
