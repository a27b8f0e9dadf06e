"""`microseg run`: every asset materialized in-process, then the summary."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from orchestration.cli.common import exit_busy, load_cli_settings, say_on_stderr, wait_options
from orchestration.lib.core import SettingsError


@click.command()
@click.option("--landing", type=click.Path(path_type=Path), default=None, help="Landing folder (MICROSEG_LANDING).")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="DuckDB file (MICROSEG_WAREHOUSE).")
@click.option("--as-of", "as_of", default=None, help="The run's as_of instant, ISO-8601 (MICROSEG_AS_OF).")
@click.option("--verbose", "-v", is_flag=True, help="Also print Dagster's debug events and dbt's output.")
@click.option("--full-refresh", "full_refresh", is_flag=True,
              help="Load every received day again and rebuild the incremental models from all of raw "
                   "(by default a run processes only what changed since the last one).")
@wait_options
def run(landing: Path | None, warehouse: Path | None, as_of: str | None, verbose: bool, full_refresh: bool,
        wait_s: float | None, no_wait: bool) -> None:
    """Materialize every asset in-process and print a summary: the received days that are new or changed are
    loaded, and the incremental models stage only what they touched (--full-refresh: everything again). Exit 1
    if any step or gate failed, 2 on an unusable landing or segment folder, 75 when another run held the
    warehouse for longer than --wait.

    One run at a time per warehouse: a second run waits for the first (saying for which) up to --wait seconds
    (MICROSEG_RUN_WAIT), or fails at once with --no-wait. The console (stderr) shows progress, each gate's
    verdict and each failure in one line; the summary (stdout) names every failure with its reason and what it
    blocked, and how the previous run on this warehouse ended."""
    settings = load_cli_settings(landing=str(landing) if landing else None,
                                 warehouse=str(warehouse) if warehouse else None, as_of=as_of)
    from orchestration.pipeline import (
        SetupError,
        check_landing,
        check_segments,
        ensure_dagster_home,
        prepare_dbt,
        resolve_as_of,
        run_pipeline,
        warehouse_instance,
        writing_session_for,
    )

    try:
        resolved = resolve_as_of(settings)
    except SettingsError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from exc
    home = ensure_dagster_home(settings)
    click.echo(f"microseg run: landing={settings.landing} warehouse={settings.warehouse} as_of={resolved} "
               f"dagster_home={home}" + (" full refresh" if full_refresh else ""), err=True)
    prepare_dbt()
    from orchestration.lib.core import format_summary, warehouse_summary
    from orchestration.lib.warehouse import LockTimeout, WarehouseBusy, open_for_reading

    instance = warehouse_instance(settings)
    started = time.perf_counter()
    try:
        check_landing(settings.landing)          # before the warehouse is touched: nothing to repair after it
        check_segments(settings.segments)
        with writing_session_for(settings, "microseg run", instance, resolved, wait=not no_wait,
                                 timeout_s=wait_s, say=say_on_stderr) as session:
            if session.previous is not None:
                click.echo(f"microseg run: previous run: {session.previous.describe()}", err=True)
            outcome = run_pipeline(settings, resolved, instance=instance, verbose=verbose, full_refresh=full_refresh)
            elapsed = time.perf_counter() - started
            with open_for_reading(settings.warehouse, timeout_s=float(settings.read_wait)) as con:
                summary = warehouse_summary(con)
    except SetupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except (LockTimeout, WarehouseBusy) as exc:
        exit_busy(exc)
    reports = {"load report": settings.reports / "load_report.md",
               "GE Data Docs": settings.data_docs_dir / "index.html",
               "Dagster runs (microseg ui)": home}
    runs = [f"previous run: {session.previous.describe()}" if session.previous else "previous run: none",
            *(f"repaired: {line}" for line in session.repairs)]
    click.echo(format_summary(summary, outcome.gates, reports, failures=outcome.failures,
                              blocked=outcome.not_materialized, runs=runs))
    click.echo(f"{'OK' if outcome.success else 'FAILED'}: as_of {outcome.as_of}, {len(outcome.runs)} runs, "
               f"{elapsed:.1f}s")
    sys.exit(0 if outcome.success else 1)
