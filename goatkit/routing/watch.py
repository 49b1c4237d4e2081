"""Hot reload of the route files (``GOTRS_ROUTES_WATCH=1``), for development.

The shared :class:`~goatkit.filewatch.YamlWatcher` reports changes to the routes directory and calls
:meth:`Router.reload`, which builds a complete new table and swaps it in, or logs the errors (file:line) and keeps the
table it has.  New handler names need a restart: handlers are Python code.

Example::

    watcher = RouteWatcher(router)
    watcher.start()
    ...
    watcher.stop()
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from goatkit.filewatch import YamlWatcher

if TYPE_CHECKING:
    from goatkit.routing.table import Router

log = logging.getLogger("goatkit.routing")


class RouteWatcher(YamlWatcher):
    """Reloads a router's table when its route files change."""

    def __init__(self, router: Router, debounce: float = 0.2) -> None:
        super().__init__([router.directory], router.reload, what="route", log=log, debounce=debounce)
        self.router = router
