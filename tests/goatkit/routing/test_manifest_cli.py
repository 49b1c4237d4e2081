"""``gotrs routes manifest|verify``: a stable manifest, and drift (added, removed, changed) that fails CI."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from goatkit.cli import build_cli
from goatkit.routing.cli import routes
from tests.goatkit.routing.conftest import AppMaker, group

ROOT = Path(__file__).resolve().parents[3]

TICKETS = group(
    "tickets",
    "  prefix: /tickets\n"
    "  middleware: [first]\n"
    "  routes:\n"
    "    - {path: '/:id', handler: t.show, middleware: [role_ro], params: {id: {type: int}}}\n"
    "    - path: /\n"
    "      handlers: {GET: t.hello, POST: t.create}\n"
    "      rateLimit: {requests: 5, period: 1m, key: user}\n"
    "    - {path: /old, redirectTo: /tickets/}\n",
)
PAGES = group("pages", "  routes:\n    - {path: /about, template: page.html, name: about}\n")


def run(make_app: AppMaker, files: dict[str, str], *args: str) -> tuple[int, str]:
    cli = build_cli(lambda: make_app(files))
    cli.add_command(routes)
    result = CliRunner().invoke(cli, ["routes", *args])
    return result.exit_code, result.output


def test_the_manifest_lists_each_method_and_path_sorted(make_app: AppMaker) -> None:
    code, output = run(make_app, {"t.yaml": TICKETS, "p.yaml": PAGES}, "manifest")
    assert code == 0
    records = json.loads(output)["routes"]
    assert [(r["method"], r["path"]) for r in records] == [
        ("GET", "/about"),
        ("GET", "/tickets/"),
        ("POST", "/tickets/"),
        ("GET", "/tickets/:id"),
        ("GET", "/tickets/old"),
    ]
    assert records[2] == {
        "method": "POST",
        "path": "/tickets/",
        "handler": "t.create",
        "template": None,
        "redirectTo": None,
        "status": None,
        "middleware": ["first"],
        "rateLimit": {"requests": 5, "period": "1m", "key": "user"},
        "group": "tickets",
        "source": "routes/t.yaml:9",
    }
    assert records[0]["template"] == "page.html" and records[0]["handler"] is None
    assert records[3]["middleware"] == ["first", "role_ro"]
    assert (records[4]["redirectTo"], records[4]["status"]) == ("/tickets/", 302)


def test_the_manifest_is_byte_stable(make_app: AppMaker, tmp_path: Path) -> None:
    files = {"t.yaml": TICKETS, "p.yaml": PAGES}
    first = run(make_app, files, "manifest")[1]
    assert run(make_app, files, "manifest")[1] == first
    out = tmp_path / "out.json"
    assert run(make_app, files, "manifest", "--output", str(out)) == (0, f"Wrote 5 route(s) to {out}.\n")
    assert out.read_text() == first


def test_verify_passes_on_the_baseline_and_reports_every_kind_of_drift(make_app: AppMaker, tmp_path: Path) -> None:
    baseline = tmp_path / "routes" / "manifest.baseline.json"
    files = {"t.yaml": TICKETS, "p.yaml": PAGES}
    assert run(make_app, files, "verify") == (
        1,
        f"No baseline at {baseline}: create it with `gotrs routes verify --update`.\n",
    )
    assert run(make_app, files, "verify", "--update") == (0, f"Baseline {baseline} updated: 5 route(s).\n")
    assert run(make_app, files, "verify") == (0, f"5 route(s) match {baseline}.\n")
    # Moving a route to another line is not drift.
    assert run(make_app, {"t.yaml": "# moved\n" + TICKETS, "p.yaml": PAGES}, "verify")[0] == 0

    changed = (
        TICKETS.replace("middleware: [role_ro]", "middleware: [role_rw]")
        .replace("POST: t.create", "POST: t.hello")
        .replace("requests: 5", "requests: 9")
        .replace("redirectTo: /tickets/}", "redirectTo: /tickets/, status: 301}")
    )
    added = "  routes:\n    - {path: /about, template: page.html, name: about}\n    - {path: /new, handler: t.hello}\n"
    code, output = run(
        make_app, {"t.yaml": changed, "p.yaml": group("pages", added).replace("/about", "/help")}, "verify"
    )
    assert code == 1
    assert output == (
        f"The route table differs from {baseline}:\n"
        "+ GET /help  template=page.html\n"
        "+ GET /new  handler=t.hello\n"
        "- GET /about  template=page.html\n"
        "~ GET /tickets/  (routes/t.yaml:9)\n"
        "    rateLimit: 5 per 1m by user -> 9 per 1m by user\n"
        "~ POST /tickets/  (routes/t.yaml:9)\n"
        "    handler: t.create -> t.hello\n"
        "    rateLimit: 5 per 1m by user -> 9 per 1m by user\n"
        "~ GET /tickets/:id  (routes/t.yaml:8)\n"
        "    middleware: [first, role_ro] -> [first, role_rw]\n"
        "~ GET /tickets/old  (routes/t.yaml:12)\n"
        "    status: 302 -> 301\n"
        "2 added, 1 removed, 4 changed\n"
        "If the change is intended, run `gotrs routes verify --update` and commit the baseline.\n"
    )


def test_verify_reports_route_errors_instead_of_a_traceback(make_app: AppMaker) -> None:
    broken = group("g", "  routes:\n    - {path: /x, handler: t.helo}\n")
    assert run(make_app, {"a.yaml": broken}, "verify") == (
        1,
        "1 route error(s):\n"
        "routes/a.yaml:6: spec.routes.0.handler: GET /x: unknown handler 't.helo'; did you mean 't.hello'?\n",
    )


def test_the_committed_routes_load_and_match_the_committed_baseline(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GOTRS_")}
    env |= {"GOTRS_VAR_DIR": str(tmp_path), "GOTRS_LOG_FORMAT": "text"}
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "gotrs"), "routes", "verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("route(s) match routes/manifest.baseline.json.\n")


@pytest.mark.parametrize("args", [["manifest"], ["verify"]])
def test_the_commands_have_help(args: list[str]) -> None:
    result = CliRunner().invoke(routes, [*args, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
