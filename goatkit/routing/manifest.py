"""The route manifest: the resolved route table as stable JSON, and the drift between two manifests.

One entry per METHOD + path, sorted by path then method, with no timestamps, so the same route files always give
the same bytes and a committed baseline diffs cleanly::

    {"routes": [{"method": "GET", "path": "/healthz", "handler": "healthz", "template": null,
                 "redirectTo": null, "status": null, "middleware": [], "rateLimit": null,
                 "group": "core", "source": "routes/core.yaml:12"}, ...]}

Drift is what changes behaviour: routes added or removed, or a changed handler, template, redirect target,
status, middleware chain or rate limit.  ``group`` and ``source`` are informational: moving a route to another
line or file is not drift.

Example::

    drift = compare(json.loads(baseline.read_text()), build_manifest(router.entries))
    if drift:
        print(format_drift(drift))
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from goatkit.routing.entry import RouteEntry

Manifest = dict[str, Any]
RouteRecord = dict[str, Any]

#: The fields whose change is drift, in the order a diff shows them.
COMPARED = ("handler", "template", "redirectTo", "status", "middleware", "rateLimit")


def build_manifest(entries: Iterable[RouteEntry]) -> Manifest:
    """The manifest of a route table."""
    routes = sorted((entry.manifest() for entry in entries), key=lambda record: (record["path"], record["method"]))
    return {"routes": routes}


def dumps(manifest: Manifest) -> str:
    """The manifest as the bytes to commit: indented, keys sorted, a final newline."""
    return json.dumps(manifest, indent=2, sort_keys=True) + "\n"


@dataclass
class Drift:
    """How the current table differs from a baseline."""

    added: list[RouteRecord] = field(default_factory=list)
    removed: list[RouteRecord] = field(default_factory=list)
    changed: list[tuple[RouteRecord, RouteRecord]] = field(default_factory=list)  # (baseline, current)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def compare(baseline: Manifest, current: Manifest) -> Drift:
    """The drift from ``baseline`` to ``current``."""
    before = {_key(record): record for record in baseline.get("routes", [])}
    after = {_key(record): record for record in current.get("routes", [])}
    drift = Drift()
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old is None and new is not None:
            drift.added.append(new)
        elif new is None and old is not None:
            drift.removed.append(old)
        elif old is not None and new is not None and _changes(old, new):
            drift.changed.append((old, new))
    return drift


def format_drift(drift: Drift) -> str:
    """A readable diff: ``+`` added, ``-`` removed, ``~`` changed with each field's old and new value."""
    lines = [f"+ {_label(record)}  {_summary(record)}" for record in drift.added]
    lines += [f"- {_label(record)}  {_summary(record)}" for record in drift.removed]
    for old, new in drift.changed:
        lines.append(f"~ {_label(new)}  ({new.get('source', '?')})")
        lines += [f"    {name}: {_show(old.get(name))} -> {_show(new.get(name))}" for name in _changes(old, new)]
    counts = f"{len(drift.added)} added, {len(drift.removed)} removed, {len(drift.changed)} changed"
    return "\n".join([*lines, counts])


def _key(record: RouteRecord) -> tuple[str, str]:
    return (str(record.get("path")), str(record.get("method")))


def _changes(old: RouteRecord, new: RouteRecord) -> list[str]:
    return [name for name in COMPARED if old.get(name) != new.get(name)]


def _label(record: RouteRecord) -> str:
    return f"{record.get('method')} {record.get('path')}"


def _summary(record: RouteRecord) -> str:
    shown = [f"{name}={_show(record.get(name))}" for name in COMPARED if record.get(name) not in (None, [])]
    return " ".join(shown)


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]"
    if isinstance(value, dict) and {"requests", "period", "key"} <= value.keys():
        return f"{value['requests']} per {value['period']} by {value['key']}"
    return str(value)
