"""`gotrs serve` with gunicorn keeps answering while live event streams are open, and the streams carry changes.

Each stream holds a worker thread for about a minute; the gthread workers `gotrs serve` runs must still serve other
requests meanwhile (a sync worker would not answer at all).  One worker, so the in-process broker is honest here.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.test_make_run_path import GOTRS, free_port, get, run_gotrs, sign_in, wait_until_up


def api(base: str, method: str, path: str, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def next_event(stream: Any) -> dict[str, str]:
    """The next frame that is an event (comments and bare retry/id frames skipped), as {field: value}."""
    while True:
        fields: dict[str, str] = {}
        while (line := stream.readline().decode()) not in ("\n", ""):
            name, _, value = line.rstrip("\n").partition(": ")
            fields[name] = value
        if "event" in fields or "data" in fields:
            return fields


def test_gunicorn_serves_pages_while_streams_are_open_and_streams_carry_changes(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOTRS_")}
    env["GOTRS_LOG_FORMAT"] = "text"
    init = run_gotrs(tmp_path, env, "db", "init")
    assert init.returncode == 0, init.stderr
    password = init.stdout.split("password: ")[1].split()[0]
    port = free_port()
    server = subprocess.Popen(
        [GOTRS, "serve", "--port", str(port), "--workers", "1", "--threads", "4"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    streams: list[Any] = []
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_until_up(f"{base}/healthz", server) == 200
        browser = sign_in(base, "root@localhost", password)
        for _ in range(2):  # two open streams: half the worker's threads
            stream = browser.open(f"{base}/agent/live/queues", timeout=10)
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            assert stream.readline().startswith(b"retry: ")
            streams.append(stream)

        started = time.monotonic()
        assert get(f"{base}/healthz")[0] == 200
        assert get(f"{base}/agent", browser)[0] == 200
        assert time.monotonic() - started < 5

        token = api(base, "POST", "/api/v1/auth/login", {"login": "root@localhost", "password": password})
        api(base, "PATCH", "/api/v1/tickets/1", {"priority": "5 very high"}, token["access_token"])
        for stream in streams:
            event = next_event(stream)
            assert event["event"] == "change" and event["id"]
            change = json.loads(event["data"])["changes"][0]
            assert (change["ticket_id"], change["events"], change["own"]) == (1, ["TicketPriorityUpdate"], True)
    finally:
        for stream in streams:
            stream.close()
        server.terminate()
        server.wait(timeout=30)
    output = server.stdout.read() if server.stdout else ""
    assert "with 1 gunicorn workers of 4 threads" in output
