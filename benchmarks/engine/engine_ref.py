"""The engine side of the benchmark: fill in :func:`engine_target` once ``goatkit/engine`` serves lists.

Until then it returns ``None`` and ``run.py`` prints "engine: not wired yet".  What it must return (see README.md):

- ``app``: a gunicorn app spec for a WSGI app that serves a module over the ``bench_ticket`` table (and its 4
  lookups) of ``dataset.url``, wrapped in :class:`benchmarks.engine.timing.ServerTiming` so its server time is
  measured exactly as the floor's.  Pass the database URL and any key through ``env``.
- ``paths``: the engine's URL for each shape.  The deep page must be reached by the engine's own cursor for the row
  ``anchors.deep_id`` (created ``anchors.deep_create_time``), built here, outside the measurement; for example::

      token = encode_cursor(key, {"m": "bench_ticket", "s": "-id", "v": anchors.deep_id, "k": anchors.deep_id})
      paths["deep"] = "/admin/bench_ticket?" + urlencode({"after": token})

The harness checks that each page shows the same first and last tickets as the floor before it measures anything.
"""

from __future__ import annotations

from benchmarks.engine.dataset import Dataset
from benchmarks.engine.targets import Anchors, Target


def engine_target(dataset: Dataset, anchors: Anchors) -> Target | None:
    del dataset, anchors  # used once the engine is wired in
    return None
