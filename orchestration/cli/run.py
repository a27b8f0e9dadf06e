"""`microseg run`: every asset materialized in-process, then the summary."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from orchestration.cli.common import load_cli_settings
from orchestration.lib.core import SettingsError


@click.command()
@click.option("--landing", type=click.Path(path_type=Path), default=None, help="Landing folder (MICROSEG_LANDING).")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="DuckDB file (MICROSEG_WAREHOUSE).")
@click.option("--as-of", "as_of", default=None, help="The run's as_of instant, ISO-8601 (MICROSEG_AS_OF).")
@click.option("--verbose", "-v", is_flag=True, help="Also print Dagster's debug events and dbt's output.")
def run(landing: Path | None, warehouse: Path | None, as_of: str | None, verbose: bool) -> None:
    """Materialize every asset in-process and print a summary. Exit 1 if any step or gate failed.

    The console (stderr) shows progress, each gate's verdict and each failure in one line; the summary (stdout)
    names every failure with its reason and what it blocked."""
    settings = load_cli_settings(landing=str(landing) if landing else None,
                                 warehouse=str(warehouse) if warehouse else None, as_of=as_of)
    from orchestration.pipeline import (
        LandingError,
        ensure_dagster_home,
        prepare_dbt,
        resolve_as_of,
        run_pipeline,
        warehouse_instance,
    )

    try:
        resolved = resolve_as_of(settings)
    except SettingsError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from exc
    home = ensure_dagster_home(settings)
    click.echo(f"microseg run: landing={settings.landing} warehouse={settings.warehouse} as_of={resolved} "
               f"dagster_home={home}", err=True)
    prepare_dbt()
    started = time.perf_counter()
    try:
        outcome = run_pipeline(settings, resolved, instance=warehouse_instance(settings), verbose=verbose)
    except LandingError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    elapsed = time.perf_counter() - started

    import duckdb

    from orchestration.lib.core import format_summary, warehouse_summary

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        summary = warehouse_summary(con)
    reports = {"load report": settings.reports / "load_report.md",
               "GE Data Docs": settings.data_docs_dir / "index.html",
               "Dagster runs (microseg ui)": home}
    click.echo(format_summary(summary, outcome.gates, reports, failures=outcome.failures,
                              blocked=outcome.not_materialized))
    click.echo(f"{'OK' if outcome.success else 'FAILED'}: as_of {outcome.as_of}, {len(outcome.runs)} runs, "
               f"{elapsed:.1f}s")
    sys.exit(0 if outcome.success else 1)
