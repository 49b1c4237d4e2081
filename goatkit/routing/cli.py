"""``gotrs routes manifest|verify``: the route table as JSON, and the drift check CI runs.

``manifest`` writes the resolved table (see :mod:`goatkit.routing.manifest`) to stdout or ``--output``.
``verify`` compares it with the committed baseline (``routes/manifest.baseline.json``) and exits 1 on drift,
printing what was added, removed or changed; ``verify --update`` rewrites the baseline after an intended change.

Example::

    cli = build_cli(create_app)
    cli.add_command(routes)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from goatkit.cli import AppFactory
from goatkit.routing.loader import RouteError
from goatkit.routing.manifest import build_manifest, compare, dumps, format_drift
from goatkit.routing.table import Router, current_router

BASELINE_NAME = "manifest.baseline.json"


@click.group("routes")
def routes() -> None:
    """The route table of routes/*.yaml: manifest and drift check."""


@routes.command("manifest")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the JSON here, not to stdout."
)
@click.pass_obj
def manifest_command(create_app: AppFactory, output: Path | None) -> None:
    """Write the resolved route table as JSON (sorted, stable)."""
    router = _router(create_app)
    text = dumps(build_manifest(router.entries))
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {len(router.entries)} route(s) to {output}.", err=True)


@routes.command("verify")
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"The committed manifest [default: <routes directory>/{BASELINE_NAME}].",
)
@click.option("--update", is_flag=True, help="Rewrite the baseline with the current table.")
@click.pass_obj
def verify(create_app: AppFactory, baseline: Path | None, update: bool) -> None:
    """Compare the route table with the baseline; exit 1 on drift."""
    router = _router(create_app)
    path = _relative(baseline or router.directory / BASELINE_NAME)
    current = build_manifest(router.entries)
    if update:
        path.write_text(dumps(current), encoding="utf-8")
        click.echo(f"Baseline {path} updated: {len(current['routes'])} route(s).")
        return
    if not path.exists():
        _fail(f"No baseline at {path}: create it with `gotrs routes verify --update`.")
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        _fail(f"The baseline {path} is not valid JSON ({exc}): rewrite it with `gotrs routes verify --update`.")
    drift = compare(recorded, current)
    if drift:
        click.echo(f"The route table differs from {path}:", err=True)
        click.echo(format_drift(drift), err=True)
        _fail("If the change is intended, run `gotrs routes verify --update` and commit the baseline.")
    click.echo(f"{len(current['routes'])} route(s) match {path}.")


def _router(create_app: AppFactory) -> Router:
    try:
        app = create_app()
    except RouteError as exc:
        _fail(str(exc))
    return current_router(app)


def _relative(path: Path) -> Path:
    """``path`` relative to the working directory when it is below it, for shorter messages."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)
