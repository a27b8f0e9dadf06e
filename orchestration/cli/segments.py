"""`microseg segments validate | test | preview | members | diff`."""

from __future__ import annotations

import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click

from orchestration.cli.common import exit_busy, load_cli_settings, say_on_stderr
from orchestration.lib.core import SettingsError, format_as_of, parse_as_of


@click.group()
def segments() -> None:
    """Segment definitions: validate, test, preview, export members, diff a rule change."""


def _segments_dir(directory: Path | None) -> Path:
    return directory or load_cli_settings().segments


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
    """Run the fixture timelines of segments/tests/ against the real compiler (in-memory DuckDB). Exit 1 if one
    fails, 2 if there is nothing to test (no fixture of a segment of the folder)."""
    from orchestration.lib.segments import NoFixturesError, run_fixture_dir

    folder = _segments_dir(directory)
    if not folder.is_dir():
        click.echo(f"error: segments folder {folder} does not exist", err=True)
        sys.exit(2)
    try:
        results = run_fixture_dir(folder)
    except NoFixturesError as exc:
        for r in exc.results:
            click.echo(r.report())
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    for r in results:
        click.echo(r.report())
    failed = [r for r in results if not r.passed]
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


def _warehouse_options(func):
    func = click.option("--wait", "wait_s", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
                        help="How long to wait for a running run on the warehouse to finish (default: the "
                             "read_wait setting, MICROSEG_READ_WAIT; 0: fail at once).")(func)
    return click.option("--as-of", "as_of", default=None,
                        help="ISO-8601 instant (default: settings' as_of, else the warehouse's latest run).")(
        click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="DuckDB file (MICROSEG_WAREHOUSE).")(func))


@contextmanager
def _evaluation(name: str, warehouse: Path | None, as_of: str | None, wait_s: float | None):
    """The settings, catalog, compiled segment, the warehouse open for reading (a running run finishes first)
    and the instant to evaluate at: --as-of, else the settings' as_of, else the as_of of the warehouse's latest
    run (a default is said on stderr). A busy or missing warehouse is one `error:` line and an exit code."""
    from orchestration.lib.segments import SegmentToolError, compile_from, latest_run_as_of, open_warehouse
    from orchestration.lib.warehouse import WarehouseBusy, WarehouseMissing

    settings = load_cli_settings(warehouse=str(warehouse) if warehouse else None, read_wait=wait_s)
    catalog = _catalog(settings.segments)
    with ExitStack() as stack:
        try:
            compiled = compile_from(catalog, name)
            con = stack.enter_context(open_warehouse(settings.warehouse, timeout_s=float(settings.read_wait),
                                                     say=say_on_stderr))
            if as_of or settings.as_of:
                moment, source = parse_as_of(as_of or settings.as_of), "--as-of" if as_of else "settings"
            else:
                moment, source = latest_run_as_of(con), "the warehouse's latest run"
                if moment is None:
                    raise SegmentToolError(f"warehouse {settings.warehouse} has no pipeline run yet: run "
                                           "`microseg run` or pass --as-of")
        except WarehouseBusy as exc:
            exit_busy(exc)
        except (SegmentToolError, SettingsError, WarehouseMissing) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        if not as_of:     # said when defaulted (an explicit --as-of needs no echo; stdout stays data)
            click.echo(f"as_of {format_as_of(moment)} ({source})", err=True)
        yield settings, catalog, compiled, con, moment


@segments.command("preview")
@click.argument("name")
@_warehouse_options
def segments_preview(name: str, warehouse: Path | None, as_of: str | None, wait_s: float | None) -> None:
    """Size, reachable size and a sample of NAME at --as-of, without materializing anything."""
    from orchestration.lib.segments import preview

    with _evaluation(name, warehouse, as_of, wait_s) as (_, _, compiled, con, moment):
        out = preview(con, compiled, moment)
    click.echo(f"{out['segment']} at {out['as_of']}: {out['size']:,} members, {out['reachable']:,} reachable")
    from orchestration.lib.core import markdown_table

    click.echo(markdown_table(out["sample"]))


@segments.command("members")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@_warehouse_options
def segments_members(name: str, fmt: str, warehouse: Path | None, as_of: str | None,
                     wait_s: float | None) -> None:
    """The members of NAME (person_id, email, contact_ids, user_ids, is_reachable) on standard output."""
    from orchestration.lib.segments import members_frame

    with _evaluation(name, warehouse, as_of, wait_s) as (_, _, compiled, con, moment):
        frame = members_frame(con, compiled, moment)
    if fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    else:
        click.echo(frame.to_json(orient="records", indent=2))


@segments.command("diff")
@click.argument("name")
@click.option("--against", required=True, help="A git revision (e.g. main, HEAD~1) or a segment YAML file.")
@_warehouse_options
def segments_diff(name: str, against: str, warehouse: Path | None, as_of: str | None,
                  wait_s: float | None) -> None:
    """Members added / removed by the current definition of NAME compared with --against."""
    from orchestration.constants import REPO_ROOT
    from orchestration.lib.segments import SegmentToolError, diff, other_definition

    try:
        with _evaluation(name, warehouse, as_of, wait_s) as (_, catalog, _, con, moment):
            other = other_definition(Path(catalog.result(name).source), against, REPO_ROOT)
            out = diff(con, catalog, name, other, moment)
    except SegmentToolError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"{name} at {out['as_of']}: {out['before']:,} members with {against} "
               f"(rules {out['rule_version_before']}), {out['after']:,} now (rules {out['rule_version_after']})")
    click.echo(f"  + {len(out['added']):,} added: {', '.join(out['added'][:20])}{' ...' if len(out['added']) > 20 else ''}")
    click.echo(f"  - {len(out['removed']):,} removed: {', '.join(out['removed'][:20])}"
               f"{' ...' if len(out['removed']) > 20 else ''}")

