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


@click.group("lambda")
def lambda_group() -> None:
    """Work with the JavaScript lambdas of module specs."""


@lambda_group.command("test")
@click.argument("module")
@click.argument("which")
@click.option("--id", "ids", multiple=True, help="A row to run it on (repeat for more); default: the first rows.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.pass_context
def lambda_test(ctx: click.Context, module: str, which: str, ids: tuple[str, ...], as_json: bool) -> None:
    """Run a lambda of MODULE on real rows, read-only, and print what it gives.

    WHICH names the lambda: a computed field, a field (its validator, else its lambda default), "rule 1",
    "row_style", or the spec key (computed_fields.0.lambda).  Exit status 1 when the lambda fails on a row.
    """
    import json

    from goatkit.engine.extension import modules
    from goatkit.engine.query import QueryError
    from goatkit.engine.trial import programs_of, run_trial

    app: Flask = ctx.obj()
    with app.app_context():
        found = modules(app).snapshot().get(module)
        if found is None:
            raise click.ClickException(f"no module named '{module}'")
        programs = programs_of(found)
        key = which if which in programs else next((k for k, p in programs.items() if p.name == which), None)
        if key is None:
            names = ", ".join(p.name for p in programs.values()) or "none"
            raise click.ClickException(f"module '{module}' has no lambda '{which}' (its lambdas: {names})")
        try:
            with current_platform(app).reading() as conn:
                trial = run_trial(conn, found, key, programs[key].code, ids=list(ids))
        except QueryError as bad:
            raise click.ClickException(str(bad)) from None
    if trial.problem is not None:
        raise click.ClickException(trial.problem.message)
    failed = False
    for row in trial.rows:
        failed = failed or row.outcome.failure is not None
        if as_json:
            click.echo(json.dumps({"key": row.key, "value": json.loads(row.value), "logs": list(row.outcome.logs)}))
            continue
        click.echo(f"{row.key}: {row.text}  ({row.outcome.ms:.1f} ms)")
        for line in row.outcome.logs:
            click.echo(f"    console: {line}")
    if not as_json:
        click.echo(
            f"{len(trial.rows)} row(s) in {trial.total_ms:.1f} ms, {trial.rounds} round(s), {trial.queries} quer(ies)."
        )
    if failed:
        sys.exit(1)
