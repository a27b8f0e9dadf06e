"""`microseg generate`: a realistic sample landing folder with ground truth."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from orchestration.lib.core import SettingsError, parse_as_of


@click.command()
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
