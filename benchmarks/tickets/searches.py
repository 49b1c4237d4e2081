"""Search timings in-process: each rotating term and needle through ``search_tickets``, with the plan chosen.

No HTTP, no gunicorn: the search function alone on the million-ticket dataset, for comparing search code (the
served figures are ``run.py``'s).  The last of ``--rounds`` rounds is reported (the first ones warm the caches):
p50, p95, max, and the slowest searches with their plan, rows and total.  Figures go to ``docs/PERFORMANCE.md``.

Example::

    .venv/bin/python -m benchmarks.tickets.searches --rounds 2 --only terms needles
"""

from __future__ import annotations

import argparse
import time

from sqlalchemy import text

from benchmarks.engine.run import default_url
from benchmarks.tickets import dataset as datasets
from benchmarks.tickets import words
from benchmarks.tickets.run import _ticket_numbers
from goatkit.db.engine import make_engine
from modules.db.schema.gotrs_search import search_tables
from modules.tickets import search_match as match
from modules.tickets.search import search_tickets
from modules.tickets.search_query import TicketQuery


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=default_url(), help="the dataset's PostgreSQL server (as run.py's)")
    parser.add_argument("--database", default=datasets.DEFAULT_DATABASE)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", nargs="+", default=["terms", "needles"], choices=["terms", "needles"])
    parser.add_argument("--slowest", type=int, default=8)
    args = parser.parse_args(argv)
    found = datasets.ensure_dataset(args.url, datasets.DEFAULT_TICKETS, args.database, print)  # present: no build
    engine = make_engine(found.url)
    with engine.connect() as conn:
        agent = conn.execute(text("SELECT id FROM users WHERE login = :l"), {"l": found.typical_agent}).scalar_one()
    shapes = {"terms": words.search_terms(200), "needles": words.needle_terms(_ticket_numbers(found, 100), 200)}
    for shape in args.only:
        timed: list[tuple[float, str, str, int, int]] = []
        for _round in range(args.rounds):
            timed.clear()
            for words_text in shapes[shape]:
                query = TicketQuery(text=words_text)
                with engine.connect() as conn:
                    plan = match.choose(conn, search_tables("postgresql"), query.terms)  # not timed
                    start = time.perf_counter()
                    page = search_tickets(conn, query, agent_id=agent)
                    ms = (time.perf_counter() - start) * 1000
                timed.append((ms, plan, words_text, len(page.rows), page.total))
        times = sorted(entry[0] for entry in timed)
        p50, p95 = times[len(times) // 2], times[min(len(times) - 1, int(0.95 * len(times)))]
        print(f"{shape}: {len(times)} searches, p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms")
        for ms, plan, words_text, rows, total in sorted(timed, reverse=True)[: args.slowest]:
            print(f"  {ms:7.1f} ms  {plan:8s} rows {rows:3d}  total {total:5d}  {words_text!r}")
    engine.dispose()


if __name__ == "__main__":
    main()
