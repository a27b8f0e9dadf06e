"""The `microseg` command line: generate sample data, validate a landing folder, run the pipeline."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click

from orchestration.lib.core import SettingsError, load_settings, parse_as_of


def _settings(**overrides):
    try:
        return load_settings(overrides)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc


@click.group()
@click.version_option(package_name="microseg")
def main() -> None:
    """microseg: identity-resolved profiles, scores and segments from your exports."""
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Landing folder to write (created).")
@click.option("--contacts", type=click.IntRange(1), default=1000, show_default=True)
@click.option("--days", type=click.IntRange(1), default=30, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--as-of", "as_of", default=None, help="Last instant of the data (ISO-8601); default 2026-11-01T00:00:00Z.")
@click.option("--gzip-every", type=click.IntRange(0), default=0, help="Write every K-th day as .jsonl.gz.")
def generate(out_dir: Path, contacts: int, days: int, seed: int, as_of: str | None, gzip_every: int) -> None:
    """Write a realistic landing folder (with ground truth) following the data contract."""
    from orchestration.lib.sample_data import generate as run_generate

    try:
        moment = parse_as_of(as_of) if as_of else None
    except SettingsError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from exc
    started = time.perf_counter()
    stats = run_generate(out_dir, contacts=contacts, days=days, seed=seed, as_of=moment, gzip_every=gzip_every,
                         progress=lambda line: click.echo(f"  {line}", err=True))
    click.echo(json.dumps(stats.to_dict(), indent=2, default=str))
    click.echo(f"wrote {out_dir} in {time.perf_counter() - started:.1f}s", err=True)


@main.command()
@click.argument("landing", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def validate(landing: Path | None, as_json: bool) -> None:
    """Check a landing folder against the contract without loading anything into the warehouse.

    Exit code 0: every file readable and every line valid; 1: problems found (listed); 2: unusable folder.
    """
    from orchestration.lib.ingest import validate_landing
    from orchestration.pipeline import LandingError, check_landing

    settings = _settings(landing=str(landing) if landing else None)
    try:
        check_landing(settings.landing)
    except LandingError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    report = validate_landing(settings.landing, tolerance_hours=settings.future_tolerance_hours,
                              progress=lambda line: click.echo(f"  {line}", err=True))
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.format())
    sys.exit(0 if report.ok else 1)


@main.command()
@click.option("--landing", type=click.Path(path_type=Path), default=None, help="Landing folder (MICROSEG_LANDING).")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="DuckDB file (MICROSEG_WAREHOUSE).")
@click.option("--as-of", "as_of", default=None, help="The run's as_of instant, ISO-8601 (MICROSEG_AS_OF).")
def run(landing: Path | None, warehouse: Path | None, as_of: str | None) -> None:
    """Materialize every asset in-process and print a summary. Exit 1 if any step or gate failed."""
    settings = _settings(landing=str(landing) if landing else None,
                         warehouse=str(warehouse) if warehouse else None, as_of=as_of)
    settings.export_env()
    from orchestration.pipeline import (
        LandingError,
        ensure_dagster_home,
        prepare_dbt,
        resolve_as_of,
        run_pipeline,
    )

    try:
        resolved = resolve_as_of(settings)
    except SettingsError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from exc
    home = ensure_dagster_home()
    click.echo(f"microseg run: landing={settings.landing} warehouse={settings.warehouse} as_of={resolved}", err=True)
    prepare_dbt()
    started = time.perf_counter()
    try:
        outcome = run_pipeline(settings, resolved)
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
               "Dagster runs (make ui)": home}
    click.echo(format_summary(summary, outcome.gates, reports))
    if outcome.failed_steps:
        click.echo("Failed steps: " + ", ".join(outcome.failed_steps))
    if outcome.not_materialized:
        click.echo("Not materialized (blocked upstream): " + ", ".join(outcome.not_materialized))
    click.echo(f"{'OK' if outcome.success else 'FAILED'}: as_of {outcome.as_of}, {len(outcome.runs)} runs, "
               f"{elapsed:.1f}s")
    sys.exit(0 if outcome.success else 1)


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Match configuration YAML (fields, comparators, blocking keys, thresholds); see README.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="clusters CSV: one row per input record with cluster_id and weakest_link_probability.")
@click.option("--pairs", "pairs_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write every scored candidate pair with its evidence and decision.")
@click.option("--decisions", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Reviewer decisions CSV (left_id, right_id, decision = merge | separate) to apply.")
@click.option("--model", "model_in", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Use these model parameters (JSON from --model-out) instead of estimating them.")
@click.option("--model-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the estimated model parameters (m, u, weights per level) as JSON.")
def dedupe(input_path: Path, config_path: Path, out: Path, pairs_out: Path | None, decisions: Path | None,
           model_in: Path | None, model_out: Path | None) -> None:
    """Find the records of INPUT (CSV or Parquet) that are the same entity; no pipeline needed.

    Exit code 0: done; 2: the configuration or the input cannot be used (the message says where).
    """
    from orchestration.lib.identity import (
        MatchConfigError,
        MatchInputError,
        load_config,
    )
    from orchestration.lib.identity import dedupe as run_dedupe

    started = time.perf_counter()
    try:
        config = load_config(config_path)
        outcome = run_dedupe(input_path, config, out, pairs_out=pairs_out, decisions=decisions,
                             model_in=model_in, model_out=model_out,
                             progress=lambda line: click.echo(f"  {line}", err=True))
    except (MatchConfigError, MatchInputError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    from orchestration.lib.identity import DECISION_NAMES

    codes = outcome.result.resolution.decision
    counts = {DECISION_NAMES[c]: int((codes == c).sum()) for c in sorted(set(codes.tolist()))}
    click.echo(f"{outcome.records:,} records -> {outcome.clusters:,} clusters "
               f"({outcome.merged_records:,} records in clusters of 2+); pairs: "
               + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))
               + f"; wrote {out} in {time.perf_counter() - started:.1f}s")


@main.group()
def segments() -> None:
    """Segment definitions: validate, test, preview, export members, diff a rule change."""


def _segments_dir(directory: Path | None) -> Path:
    return directory or _settings().segments


def _catalog(directory: Path):
    from orchestration.lib.segments import SCHEMA, load_catalog

    if not directory.is_dir():
        click.echo(f"error: segments folder {directory} does not exist (set MICROSEG_SEGMENTS)", err=True)
        sys.exit(2)
    return load_catalog(directory, schema=SCHEMA)


@segments.command("validate")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def segments_validate(directory: Path | None) -> None:
    """Check every segment file (default: the segments folder). Exit 1 if any has errors."""
    catalog = _catalog(_segments_dir(directory))
    for r in catalog.results:
        click.echo(f"{'OK   ' if r.ok else 'ERROR'} {r.name or '?'}  ({r.source})")
        for issue in r.errors:
            click.echo(f"  error: {issue}")
        for issue in r.warnings:
            click.echo(f"  warning: {issue}")
    bad = [r for r in catalog.results if not r.ok]
    click.echo(f"{len(catalog.results)} segment file(s), {len(bad)} with errors")
    sys.exit(1 if bad else 0)


@segments.command("test")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def segments_test(directory: Path | None) -> None:
    """Run the fixture timelines of segments/tests/ against the real compiler (in-memory DuckDB)."""
    from orchestration.lib.segments import run_fixture_dir

    folder = _segments_dir(directory)
    if not folder.is_dir():
        click.echo(f"error: segments folder {folder} does not exist", err=True)
        sys.exit(2)
    results = run_fixture_dir(folder)
    for r in results:
        click.echo(r.report())
    failed = [r for r in results if not r.passed]
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed or not results else 0)


def _as_of_option(func):
    return click.option("--as-of", "as_of", default=None, help="ISO-8601 instant (default: settings, else now).")(
        click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="DuckDB file (MICROSEG_WAREHOUSE).")(func))


def _evaluation(name: str, warehouse: Path | None, as_of: str | None):
    from orchestration.lib.segments import (
        SegmentToolError,
        compile_from,
        open_warehouse,
    )
    from orchestration.pipeline import resolve_as_of

    settings = _settings(warehouse=str(warehouse) if warehouse else None)
    catalog = _catalog(settings.segments)
    try:
        moment = parse_as_of(resolve_as_of(settings, as_of))
        compiled = compile_from(catalog, name)
        con = open_warehouse(settings.warehouse)
    except (SegmentToolError, SettingsError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    return settings, catalog, compiled, con, moment


@segments.command("preview")
@click.argument("name")
@_as_of_option
def segments_preview(name: str, warehouse: Path | None, as_of: str | None) -> None:
    """Size, reachable size and a sample of NAME at --as-of, without materializing anything."""
    from orchestration.lib.segments import preview

    _, _, compiled, con, moment = _evaluation(name, warehouse, as_of)
    with con:
        out = preview(con, compiled, moment)
    click.echo(f"{out['segment']} at {out['as_of']}: {out['size']:,} members, {out['reachable']:,} reachable")
    from orchestration.lib.core import markdown_table

    click.echo(markdown_table(out["sample"]))


@segments.command("members")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@_as_of_option
def segments_members(name: str, fmt: str, warehouse: Path | None, as_of: str | None) -> None:
    """The members of NAME (person_id, email, contact_ids, user_ids, is_reachable) on standard output."""
    from orchestration.lib.segments import members_frame

    _, _, compiled, con, moment = _evaluation(name, warehouse, as_of)
    with con:
        frame = members_frame(con, compiled, moment)
    if fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    else:
        click.echo(frame.to_json(orient="records", indent=2))


@segments.command("diff")
@click.argument("name")
@click.option("--against", required=True, help="A git revision (e.g. main, HEAD~1) or a segment YAML file.")
@_as_of_option
def segments_diff(name: str, against: str, warehouse: Path | None, as_of: str | None) -> None:
    """Members added / removed by the current definition of NAME compared with --against."""
    from orchestration.constants import REPO_ROOT
    from orchestration.lib.segments import SegmentToolError, diff, other_definition

    settings, catalog, _, con, moment = _evaluation(name, warehouse, as_of)
    result = catalog.result(name)
    try:
        other = other_definition(Path(result.source), against, REPO_ROOT)
        with con:
            out = diff(con, catalog, name, other, moment)
    except SegmentToolError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"{name} at {out['as_of']}: {out['before']:,} members with {against} "
               f"(rules {out['rule_version_before']}), {out['after']:,} now (rules {out['rule_version_after']})")
    click.echo(f"  + {len(out['added']):,} added: {', '.join(out['added'][:20])}{' ...' if len(out['added']) > 20 else ''}")
    click.echo(f"  - {len(out['removed']):,} removed: {', '.join(out['removed'][:20])}"
               f"{' ...' if len(out['removed']) > 20 else ''}")


if __name__ == "__main__":
    main()
