"""``gotrs modules ...``: commands around module specs."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask

from goatkit.engine.scaffold import ScaffoldError, scaffold_module
from goatkit.platform import current_platform


@click.group("modules")
def modules_group() -> None:
    """Work with YAML module specs."""


@modules_group.command("scaffold")
@click.argument("table")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@click.pass_context
def scaffold(ctx: click.Context, table: str, output: Path | None, force: bool) -> None:
    """Write a starter module spec for an existing TABLE."""
    app: Flask = ctx.obj()
    try:
        text = scaffold_module(current_platform(app).engine, table)
    except ScaffoldError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if output is None:
        click.echo(text, nl=False)
        return
    if output.exists() and not force:
        click.echo(f"error: {output} exists; pass --force to overwrite it", err=True)
        sys.exit(1)
    output.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {output}.")
