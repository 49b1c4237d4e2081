"""Waiting for work a background thread does (a file watcher's reload): poll until it shows, up to a generous limit.

The tests that use this check that a change is picked up at all, and what the app serves meanwhile.  How fast a
reload is (the brief's "live within a second") is a figure for a benchmark, not a deadline for a test: on a busy
CI machine a reload that starts a sandbox worker or reflects tables can take seconds.

Example::

    assert within(RELOAD_SECONDS, lambda: "priority" in registry.snapshot())
"""

from __future__ import annotations

import time
from collections.abc import Callable

RELOAD_SECONDS = 10.0


def within(seconds: float, condition: Callable[[], bool], interval: float = 0.02) -> bool:
    """Whether ``condition()`` became true within ``seconds`` (polled every ``interval``; true at once returns at
    once)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
