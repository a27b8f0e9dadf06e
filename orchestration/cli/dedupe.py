"""`microseg dedupe`: the identity-resolution engine on any CSV or Parquet table."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click


@click.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Match configuration YAML (fields, comparators, blocking keys, thresholds); see docs/identity.md.")
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
