"""`microseg validate`: check a landing folder against the data contract without loading it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from orchestration.cli.common import load_cli_settings


@click.command()
@click.argument("landing", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def validate(landing: Path | None, as_json: bool) -> None:
    """Check a landing folder against the contract without loading anything into the warehouse.

    Exit code 0: every file readable and every line valid; 1: problems found (listed); 2: unusable folder.
    """
    from orchestration.lib.ingest import validate_landing
    from orchestration.pipeline import LandingError, check_landing

    settings = load_cli_settings(landing=str(landing) if landing else None)
    try:
        check_landing(settings.landing)
    except LandingError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    report = validate_landing(settings.landing, tolerance_hours=settings.future_tolerance_hours,
                              progress=lambda line: click.echo(f"  {line}", err=True),
                              batch_bytes=settings.ingest_batch_mb << 20)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.format())
    sys.exit(0 if report.ok else 1)
