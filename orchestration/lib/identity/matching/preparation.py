"""Step 1, prepare: records sorted by id (so nothing depends on input order); each comparison's
value per record (text, trimmed; correlated columns joined into one value); blocked values and
exact-link values shared by more than `max_value_share` records become missing; the blocking key
parts of every record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from orchestration.lib.identity.match_config import KeyPart, MatchConfig

Progress = Callable[[str], None]   # the engine reports what it did, one line at a time


class MatchInputError(ValueError):
    """The records cannot be matched as configured (missing column, duplicate ids)."""


@dataclass
class PreparedRecords:
    ids: np.ndarray                       # record ids (str), sorted
    values: dict[str, np.ndarray]         # comparison name -> object array of str | None
    codes: dict[str, np.ndarray]          # comparison name -> int64 codes (-1 missing)
    uniques: dict[str, np.ndarray]        # comparison name -> distinct values (code -> value)
    key_parts: pd.DataFrame               # one column per distinct blocking key part (text or None)
    rule_key_columns: list[list[str]]     # per blocking rule: its key part columns in key_parts
    link_group: np.ndarray | None         # link_across value per record, or None
    blocked_counts: dict[str, int] = field(default_factory=dict)   # comparison -> values blocked
    comparator_parts: dict = field(default_factory=dict)   # comparison -> ComparatorParts (filled by compare)


def stripped_texts(series: pd.Series) -> np.ndarray:
    """Trimmed text with empty -> None, as an object array (each distinct value handled once)."""
    codes, uniq = pd.factorize(series.astype("object"), use_na_sentinel=True)
    cleaned = np.array([None] + [(str(v).strip() or None) for v in uniq], dtype=object)
    return cleaned[codes + 1]


def _apply_key(values: np.ndarray, part: KeyPart) -> np.ndarray:
    """Apply a key part's functions to every distinct value once."""
    if not part.functions:
        return values
    from orchestration.lib.identity.key_functions import key_function

    fns = [key_function(f) for f in part.functions]
    codes, uniq = pd.factorize(pd.Series(values, dtype="object"), use_na_sentinel=True)
    mapped = [None]
    for v in uniq:
        for fn in fns:
            if v is None:
                break
            v = fn(v) or None
        mapped.append(v)
    return np.array(mapped, dtype=object)[codes + 1]


def _sorted_by_id(records: pd.DataFrame, config: MatchConfig) -> tuple[pd.DataFrame, np.ndarray]:
    """The records in id order and their ids; unusable ids (missing, repeated) are errors."""
    missing = [c for c in config.columns if c not in records.columns]
    if missing:
        raise MatchInputError(f"input has no column(s) {missing} named by {config.source}; "
                              f"it has: {list(records.columns)}")
    ids = records[config.id_column].astype("object")
    if ids.isna().any():
        rows = [int(i) + 2 for i in np.flatnonzero(ids.isna().to_numpy())[:5]]
        raise MatchInputError(f"id column {config.id_column!r} is empty on input row(s) {rows} (line numbers)")
    ids = ids.astype(str).str.strip()
    dup = ids[ids.duplicated()]
    if len(dup):
        raise MatchInputError(f"id column {config.id_column!r} is not unique: {sorted(set(dup))[:5]} repeat")
    id_array = ids.to_numpy(dtype=object)
    order = np.argsort(id_array.astype(str), kind="stable")
    return records.iloc[order].reset_index(drop=True), id_array[order]


def _comparison_values(text: dict[str, np.ndarray], config: MatchConfig) -> dict[str, np.ndarray]:
    """Each comparison's value per record: its column, or its columns joined with a space."""
    values: dict[str, np.ndarray] = {}
    for f in config.fields:
        if len(f.columns) == 1:
            v = text[f.columns[0]]
        else:
            joined = None
            for c in f.columns:
                col = pd.Series(text[c], dtype="object").fillna("")
                joined = col if joined is None else joined + " " + col
            joined = joined.str.strip().str.replace(r"\s+", " ", regex=True)
            v = joined.where(joined != "", None).to_numpy(dtype=object)
        if f.comparator in ("email", "exact", "phone"):
            codes, uniq = pd.factorize(pd.Series(v, dtype="object"), use_na_sentinel=True)
            v = np.array([None] + [x.lower() for x in uniq], dtype=object)[codes + 1]
        values[f.name] = v
    return values


def _block_values(values: dict[str, np.ndarray], config: MatchConfig) -> dict[str, int]:
    """Blocked values (configured, or an exact-link value held by too many records) become missing
    in `values`, in place; returns how many records lost a value, per comparison."""
    blocked_counts: dict[str, int] = {}
    for f in config.fields:
        v = values[f.name]
        blocked = set(config.blocked_values.get(f.name, ())) | set(
            x for c in f.columns for x in config.blocked_values.get(c, ()))
        if f.name in config.exact_links:
            counts = pd.Series(v, dtype="object").value_counts()
            blocked |= {str(x).lower() for x in counts[counts > config.max_value_share].index}
        if blocked:
            mask = pd.Series(v, dtype="object").str.lower().isin(blocked).to_numpy()
            if mask.any():
                v = v.copy()
                v[mask] = None
                values[f.name] = v
            blocked_counts[f.name] = int(mask.sum())
    return blocked_counts


def _blocking_key_parts(text: dict[str, np.ndarray], values: dict[str, np.ndarray], blocked_counts: dict[str, int],
                        config: MatchConfig) -> tuple[pd.DataFrame, list[list[str]]]:
    """One column p0, p1, ... per distinct key part of the blocking rules, and each rule's columns."""
    raw_cols = {c: text[c] for c in {p.column for rule in config.blocking for p in rule}}
    # a blocked comparison value is also unusable as a blocking key of the same column
    for f in config.fields:
        if len(f.columns) == 1 and f.columns[0] in raw_cols and blocked_counts.get(f.name):
            raw_cols[f.columns[0]] = np.where(values[f.name] == None, None, raw_cols[f.columns[0]])  # noqa: E711
    parts: dict[str, np.ndarray] = {}
    rule_parts = []
    for rule in config.blocking:
        names = []
        for p in rule:
            key = str(p)
            if key not in parts:
                parts[key] = _apply_key(raw_cols[p.column], p)
            names.append(key)
        rule_parts.append(names)
    key_parts = pd.DataFrame({f"p{n}": parts[k] for n, k in enumerate(parts)})
    column_of = {k: f"p{n}" for n, k in enumerate(parts)}
    return key_parts, [[column_of[k] for k in names] for names in rule_parts]


def prepare(records: pd.DataFrame, config: MatchConfig) -> PreparedRecords:
    recs, sorted_ids = _sorted_by_id(records, config)
    text = {c: stripped_texts(recs[c]) for c in config.columns if c != config.id_column}
    values = _comparison_values(text, config)
    blocked_counts = _block_values(values, config)
    codes, uniques = {}, {}
    for name, v in values.items():
        c, u = pd.factorize(pd.Series(v, dtype="object"), use_na_sentinel=True)
        codes[name] = c.astype(np.int64)
        uniques[name] = np.asarray(u, dtype=object)
    key_parts, rule_key_columns = _blocking_key_parts(text, values, blocked_counts, config)
    link_group = text[config.link_across] if config.link_across else None
    return PreparedRecords(sorted_ids, values, codes, uniques, key_parts, rule_key_columns, link_group,
                           blocked_counts)
