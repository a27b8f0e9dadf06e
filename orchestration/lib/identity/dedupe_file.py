"""`microseg dedupe`: the matching engine on any CSV or Parquet table, no pipeline needed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.lib.core import atomic_path, sql_literal, write_text_atomic
from orchestration.lib.identity.match_config import MatchConfig
from orchestration.lib.identity.matching import (
    MatchInputError,
    MatchResult,
    Model,
    Progress,
    run_match,
)
from orchestration.lib.identity.review import read_decision_file


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (every column as text, empty = missing) or Parquet file."""
    if not path.is_file():
        raise MatchInputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".csv", ".txt"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=False)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise MatchInputError(f"{path}: not a readable CSV: {exc}") from exc
    raise MatchInputError(f"{path}: expected a .csv or .parquet file")


def read_decisions(path: Path | None) -> list[tuple[str, str, str]]:
    """Reviewer decisions of `--decisions` (the same CSV format as the pipeline's review/decisions.csv)."""
    if path is None:
        return []
    if not path.is_file():
        raise MatchInputError(f"{path}: no such file")
    df = read_decision_file(path)
    return list(zip(df["left_id"], df["right_id"], df["decision"]))


def contacts_frame(df: pd.DataFrame, as_of: date | None = None) -> pd.DataFrame:
    """Contract-shaped CRM contacts (or already staged ones) -> the normalized matching frame."""
    from orchestration.lib.identity.identity_map import matching_frame
    from orchestration.lib.identity.normalize import INPUT_COLUMNS, normalize_contacts

    staged = df.rename(columns={"phone": "phone_raw", "gender": "gender_raw", "country": "country_raw",
                                "source": "signup_source"})
    if "birth_date_raw" not in staged.columns and "birth_date" in staged.columns:
        staged = staged.rename(columns={"birth_date": "birth_date_raw"})
    for col in INPUT_COLUMNS:
        if col != "contact_id" and col not in staged.columns:   # no contact_id: normalize_contacts says so
            staged[col] = None
    normalized, _ = normalize_contacts(staged, as_of or date.today())
    return matching_frame(normalized)


_NUMBER = r"[+-]?\d+(?:\.\d+)?"


def in_id_order(clusters: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """The rows of `clusters.csv` by id: numerically when every id is a number (1, 2, 10, 11), else as text
    (stable: equal numbers, 7 and 007, keep their text order). With numeric ids `cluster_id` is the numerically
    smallest id of the cluster too (2 in a cluster of 2 and 10, not 10)."""
    ids = clusters[id_column].astype(str)
    if not (len(ids) and ids.str.fullmatch(_NUMBER).all()):
        return clusters.iloc[np.argsort(ids.to_numpy(), kind="stable")].reset_index(drop=True)
    ordered = clusters.iloc[np.argsort(pd.to_numeric(ids).to_numpy(), kind="stable")].reset_index(drop=True)
    return ordered.assign(cluster_id=ordered.groupby("cluster_id", sort=False)[id_column].transform("first"))


@dataclass
class DedupeOutcome:
    result: MatchResult
    records: int
    clusters: int
    merged_records: int


def dedupe(input_path: Path, config: MatchConfig, out: Path, pairs_out: Path | None = None,
           decisions: Path | None = None, model_in: Path | None = None, model_out: Path | None = None,
           progress: Progress | None = None) -> DedupeOutcome:
    say = progress or (lambda _m: None)
    df = read_table(input_path)
    say(f"read {len(df):,} records from {input_path}")
    if config.normalize == "contacts":
        df = contacts_frame(df)
    model = Model.from_dict(json.loads(model_in.read_text(encoding="utf-8")), config) if model_in else None
    result = run_match(df, config, decisions=read_decisions(decisions), model=model, progress=say)
    clusters = in_id_order(result.cluster_frame(config.id_column), config.id_column)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:            # every output whole or not at all
        clusters.to_csv(tmp, index=False)
    if pairs_out:
        import duckdb

        from orchestration.lib.identity.pair_tables import register_scored

        pairs_out.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect() as con:
            register_scored(con, result.scored, result.resolution)
            with atomic_path(pairs_out) as tmp:
                con.execute(f"copy (select * from scored_pairs order by left_id, right_id) to {sql_literal(tmp)} "
                            "(header)")
    if model_out:
        write_text_atomic(model_out, json.dumps(result.model.to_dict(config), indent=2))
    sizes = result.clusters.sizes
    return DedupeOutcome(result=result, records=len(clusters), clusters=int(len(sizes)),
                         merged_records=int(sizes[sizes > 1].sum()))
