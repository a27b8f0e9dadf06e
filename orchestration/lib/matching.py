"""Probabilistic record matching: blocking, vectorized comparisons, Fellegi-Sunter weights by EM.

The engine behind identity resolution and `microseg dedupe`. Pure Python + DuckDB + rapidfuzz.

1. **Prepare**: records sorted by id (so nothing depends on input order); each comparison's value
   per record (text, trimmed; correlated columns joined into one value); blocked values and
   exact-link values shared by more than `max_value_share` records become missing.
2. **Block** (DuckDB): a pair is a candidate when it agrees on every key part of at least one
   blocking rule; blocks larger than `max_block_size` are skipped and reported. Work grows with the
   block sizes, never with all pairs.
3. **Compare** (rapidfuzz `process.cpdist`, vectorized, on the *distinct* value pairs only): each
   comparison gives an agreement level (0 = exact, then similarity bands, last = disagrees; -1 =
   missing, which is neutral evidence).
4. **Model** (Fellegi-Sunter): `u` (chance agreement) per level from value frequencies (exact level,
   computed exactly) and a seeded sample of random pairs (other levels); `m` (agreement among
   matches) and the match prior `lambda` by EM over the distinct agreement patterns of the
   candidates, with `u` fixed. A pair's match weight is `log2(lambda/(1-lambda)) + sum log2(m/u)`
   and its probability `2^w / (1 + 2^w)`. The model is re-estimated on every input (the best
   threshold differs between sources), or pinned with `model=` for stable runs.
5. **Decide**: `p >= auto_merge` merge; `review <= p < auto_merge` review queue; else separate.
   A pair agreeing exactly on an `exact_links` comparison (same email, same phone) merges unless
   the rest of the evidence contradicts it (`p < review`): then it goes to review, never silently
   either way. Reviewer decisions override: `merge` forces the link, `separate` forbids it.
6. **Cluster** (`lib/clustering.py`): union-find over accepted links, strongest first, never
   beyond `max_cluster_size` and never across a `separate` decision.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from orchestration.lib.clustering import ClusterResult, cluster
from orchestration.lib.match_config import FieldSpec, KeyPart, MatchConfig

SEED = 42
U_SAMPLE_PAIRS = 1_000_000      # random pairs for estimating u (the non-exact levels)
EM_MAX_ITERATIONS = 60
EM_TOLERANCE = 1e-7
PROBABILITY_FLOOR = 1e-6        # m and u never reach 0 or 1 (no single field is proof)

Progress = Callable[[str], None]


class MatchInputError(ValueError):
    """The records cannot be matched as configured (missing column, duplicate ids)."""


# ------------------------------------------------------------------------------------------ prepare
@dataclass
class Prepared:
    ids: np.ndarray                       # record ids (str), sorted
    values: dict[str, np.ndarray]         # comparison name -> object array of str | None
    codes: dict[str, np.ndarray]          # comparison name -> int64 codes (-1 missing)
    uniques: dict[str, np.ndarray]        # comparison name -> distinct values (code -> value)
    keys: list[np.ndarray]                # per blocking rule: object array of key text | None
    group: np.ndarray | None              # link_across value per record, or None
    blocked: dict[str, int] = field(default_factory=dict)   # comparison -> values blocked
    derived: dict = field(default_factory=dict)              # comparison -> _Derived (filled by compare)


def _text(series: pd.Series) -> np.ndarray:
    """Trimmed text with empty -> None, as an object array."""
    out = series.astype("object").where(series.notna(), None)
    vals = np.array([None if v is None else (str(v).strip() or None) for v in out], dtype=object)
    return vals


def _apply_key(values: np.ndarray, part: KeyPart) -> np.ndarray:
    """Apply a key part's functions to every distinct value once."""
    if not part.functions:
        return values
    from orchestration.lib.key_functions import key_function

    fns = [key_function(f) for f in part.functions]
    uniq, inverse = np.unique(np.where(values == None, "", values).astype(str), return_inverse=True)  # noqa: E711
    mapped = []
    for u in uniq:
        v = u or None
        for fn in fns:
            if v is None:
                break
            v = fn(v) or None
        mapped.append(v)
    return np.array(mapped, dtype=object)[inverse]


def prepare(records: pd.DataFrame, config: MatchConfig) -> Prepared:
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
    order = np.argsort(ids.to_numpy().astype(str), kind="stable")
    recs = records.iloc[order].reset_index(drop=True)
    sorted_ids = ids.to_numpy().astype(str)[order]

    values: dict[str, np.ndarray] = {}
    for f in config.fields:
        if len(f.columns) == 1:
            v = _text(recs[f.columns[0]])
        else:
            parts = [_text(recs[c]) for c in f.columns]
            v = np.array([" ".join(p for p in row if p) or None for row in zip(*parts)], dtype=object)
        if f.comparator in ("email", "exact", "phone"):
            v = np.array([None if x is None else x.lower() for x in v], dtype=object)
        values[f.name] = v

    blocked_counts: dict[str, int] = {}
    for f in config.fields:
        v = values[f.name]
        blocked = set(config.blocked_values.get(f.name, ())) | set(
            x for c in f.columns for x in config.blocked_values.get(c, ()))
        if f.name in config.exact_links:
            s = pd.Series(v, dtype="object")
            counts = s.value_counts()
            blocked |= set(counts[counts > config.max_value_share].index)
        if blocked:
            mask = np.array([x is not None and x.lower() in blocked for x in v])
            if mask.any():
                v = v.copy()
                v[mask] = None
                values[f.name] = v
            blocked_counts[f.name] = int(mask.sum())

    codes, uniques = {}, {}
    for name, v in values.items():
        c, u = pd.factorize(pd.Series(v, dtype="object"), use_na_sentinel=True)
        codes[name] = c.astype(np.int64)
        uniques[name] = np.asarray(u, dtype=object)

    raw_cols = {c: _text(recs[c]) for c in {p.column for rule in config.blocking for p in rule}}
    # a blocked comparison value is also unusable as a blocking key of the same column
    for f in config.fields:
        if len(f.columns) == 1 and f.columns[0] in raw_cols and blocked_counts.get(f.name):
            raw_cols[f.columns[0]] = np.where(values[f.name] == None, None, raw_cols[f.columns[0]])  # noqa: E711
    keys = []
    for rule in config.blocking:
        parts = [_apply_key(raw_cols[p.column], p) for p in rule]
        key = np.array([None if any(x is None for x in row) else "\x1f".join(row) for row in zip(*parts)],
                       dtype=object)
        keys.append(key)
    group = _text(recs[config.link_across]) if config.link_across else None
    return Prepared(sorted_ids, values, codes, uniques, keys, group, blocked_counts)


# ------------------------------------------------------------------------------------------- block
@dataclass
class BlockingStats:
    rules: list[dict]
    candidate_pairs: int
    rule_codes: list[np.ndarray] = field(default_factory=list, repr=False)   # per rule: sorted i * n + j


def candidate_pairs(prep: Prepared, config: MatchConfig, progress: Progress | None = None
                    ) -> tuple[np.ndarray, np.ndarray, BlockingStats]:
    """Distinct (i, j), i < j, agreeing on some blocking rule; skips blocks above max_block_size."""
    import duckdb

    con = duckdb.connect()
    n = len(prep.ids)
    stats = []
    frames = []
    for r, key in enumerate(prep.keys):
        df = pd.DataFrame({"i": np.arange(n, dtype=np.int64), "k": key})
        if prep.group is not None:
            df["g"] = prep.group
        con.register("keys_df", df)
        sizes = con.execute("""
            select count(*) filter (where n > $cap) as skipped_blocks,
                   coalesce(sum(n) filter (where n > $cap), 0) as skipped_records,
                   coalesce(max(n), 0) as largest
            from (select k, count(*) as n from keys_df where k is not null group by k)""",
                            {"cap": config.max_block_size}).fetchall()[0]
        across = "and a.g is distinct from b.g and a.g is not null and b.g is not null" if prep.group is not None else ""
        pairs = con.execute(f"""
            with usable as (
                select i, k{', g' if prep.group is not None else ''} from keys_df
                where k is not null
                  and k in (select k from keys_df where k is not null group by k having count(*) <= $cap)
            )
            select a.i as i, b.i as j from usable a join usable b on a.k = b.k and a.i < b.i {across}
        """, {"cap": config.max_block_size}).fetchnumpy()
        con.unregister("keys_df")
        frames.append((pairs["i"].astype(np.int64), pairs["j"].astype(np.int64)))
        rule_text = ", ".join(str(p) for p in config.blocking[r])
        stats.append({"rule": f"[{rule_text}]", "pairs": int(len(pairs["i"])), "skipped_blocks": int(sizes[0]),
                      "skipped_records": int(sizes[1]), "largest_block": int(sizes[2])})
        if progress:
            progress(f"blocking rule {r + 1}/{len(prep.keys)} [{rule_text}]: {len(pairs['i']):,} pairs"
                     + (f", {sizes[0]} blocks over {config.max_block_size} records skipped" if sizes[0] else ""))
    con.close()
    rule_codes = [np.unique(i * n + j) for i, j in frames]
    code = np.unique(np.concatenate(rule_codes)) if rule_codes else np.zeros(0, dtype=np.int64)
    return code // n, code % n, BlockingStats(stats, int(len(code)), rule_codes)


# ----------------------------------------------------------------------------------------- compare
def _similarity(comparator: str, a: list, b: list) -> np.ndarray:
    from rapidfuzz import fuzz, process
    from rapidfuzz.distance import JaroWinkler, Levenshtein

    if not a:
        return np.zeros(0, dtype=np.float32)
    if comparator == "jaro_winkler":
        return process.cpdist(a, b, scorer=JaroWinkler.normalized_similarity, workers=-1, dtype=np.float32)
    if comparator == "levenshtein":
        return process.cpdist(a, b, scorer=Levenshtein.normalized_similarity, workers=-1, dtype=np.float32)
    if comparator == "token_set":
        return process.cpdist(a, b, scorer=fuzz.token_set_ratio, workers=-1, dtype=np.float32) / 100.0
    raise ValueError(comparator)


def _codes_of(values: list) -> np.ndarray:
    """Integer codes of derived values (-1 for None): equality of codes is equality of values."""
    codes, _ = pd.factorize(pd.Series(values, dtype="object"), use_na_sentinel=True)
    return codes.astype(np.int64)


class _Derived:
    """Per distinct value of one comparison, the parts its comparator looks at (computed once)."""

    def __init__(self, comparator: str, uniq: np.ndarray):
        vals = uniq.tolist()
        if comparator == "email":
            parts = [v.rpartition("@") for v in vals]
            self.local = np.array([p[0] for p in parts], dtype=object)
            self.domain = np.array([p[2] for p in parts], dtype=object)
            self.local_code = _codes_of(self.local.tolist())
            self.domain_code = _codes_of(self.domain.tolist())
            self.initial_ok = np.array([len(p[0]) >= 6 for p in parts], dtype=bool)
            self.initial_code = _codes_of([p[0][:1] for p in parts])
        elif comparator == "phone":
            tails = ["".join(ch for ch in v if ch.isdigit())[-8:] for v in vals]
            self.tail_code = _codes_of([t if len(t) >= 6 else None for t in tails])
        elif comparator == "date":
            self.year_code = _codes_of([v[:4] for v in vals])
            # own text and day/month-swapped text in one code space: a's swap == b's own text
            joint = _codes_of(vals + [f"{v[:4]}-{v[8:10]}-{v[5:7]}" if len(v) == 10 else None for v in vals])
            self.own_code, self.swapped_code = joint[:len(vals)], joint[len(vals):]


def _levels_for_distinct(spec: FieldSpec, uniq: np.ndarray, derived: _Derived | None, ia: np.ndarray,
                         ib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Levels (>= 1: not exactly equal) and similarity for distinct non-equal value pairs (by index)."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA, JaroWinkler

    last = spec.n_levels - 1
    if spec.comparator == "exact":
        return np.full(len(ia), last, dtype=np.int8), np.zeros(len(ia), dtype=np.float32)
    if spec.comparator in ("jaro_winkler", "levenshtein", "token_set"):
        sim = _similarity(spec.comparator, uniq[ia].tolist(), uniq[ib].tolist())
        level = np.full(len(ia), last, dtype=np.int8)
        for k in range(len(spec.levels) - 1, -1, -1):   # lowest band first; higher bands overwrite
            level[sim >= spec.levels[k]] = k + 1
        return level, sim
    d = derived
    if spec.comparator == "date":
        dist = process.cpdist(uniq[ia].tolist(), uniq[ib].tolist(), scorer=OSA.distance, workers=-1)
        swapped = (d.swapped_code[ia] >= 0) & (d.swapped_code[ia] == d.own_code[ib])
        level = np.full(len(ia), 3, dtype=np.int8)
        level[d.year_code[ia] == d.year_code[ib]] = 2
        level[(dist <= 1) | swapped] = 1
        return level, (1.0 - np.minimum(dist, 10) / 10.0).astype(np.float32)
    if spec.comparator == "email":
        # a typo: same domain and the local parts one edit apart (same first letter: initials-style
        # locals like pberger / mberger are different people), or same local part and the domains
        # close (gmial.com). A merely similar local part is no evidence beyond the names it is made of.
        same_dom = d.domain_code[ia] == d.domain_code[ib]
        same_loc = d.local_code[ia] == d.local_code[ib]
        level = np.full(len(ia), 2, dtype=np.int8)
        sim = np.zeros(len(ia), dtype=np.float32)
        k = np.flatnonzero(same_dom & d.initial_ok[ia] & (d.initial_code[ia] == d.initial_code[ib]))
        if len(k):
            dist = process.cpdist(d.local[ia[k]].tolist(), d.local[ib[k]].tolist(), scorer=OSA.distance, workers=-1)
            level[k[dist <= 1]] = 1
            sim[k] = 1.0 - np.minimum(dist, 10) / 10.0
        k = np.flatnonzero(same_loc & ~same_dom)
        if len(k):
            ds = process.cpdist(d.domain[ia[k]].tolist(), d.domain[ib[k]].tolist(),
                                scorer=JaroWinkler.normalized_similarity, workers=-1, dtype=np.float32)
            level[k[ds >= 0.85]] = 1
            sim[k] = ds
        return level, sim
    if spec.comparator == "phone":
        same = (d.tail_code[ia] >= 0) & (d.tail_code[ia] == d.tail_code[ib])
        return np.where(same, 1, 2).astype(np.int8), same.astype(np.float32)
    raise ValueError(spec.comparator)


def compare(prep: Prepared, config: MatchConfig, i: np.ndarray, j: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Agreement levels (int8, -1 = missing) and similarities (float32) of pairs, one column per field."""
    n_pairs = len(i)
    levels = np.full((n_pairs, len(config.fields)), -1, dtype=np.int8)
    sims = np.full((n_pairs, len(config.fields)), np.nan, dtype=np.float32)
    for f_idx, spec in enumerate(config.fields):
        codes, uniq = prep.codes[spec.name], prep.uniques[spec.name]
        if spec.name not in prep.derived:
            prep.derived[spec.name] = _Derived(spec.comparator, uniq)
        ca, cb = codes[i], codes[j]
        present = (ca >= 0) & (cb >= 0)
        equal = present & (ca == cb)
        levels[equal, f_idx] = 0
        sims[equal, f_idx] = 1.0
        rest = np.flatnonzero(present & ~equal)
        if len(rest):
            lo, hi = np.minimum(ca[rest], cb[rest]), np.maximum(ca[rest], cb[rest])   # symmetric measures
            width = np.int64(len(uniq) + 1)
            distinct, inverse = np.unique(lo * width + hi, return_inverse=True)
            lv, sv = _levels_for_distinct(spec, uniq, prep.derived[spec.name], distinct // width, distinct % width)
            levels[rest, f_idx] = lv[inverse]
            sims[rest, f_idx] = sv[inverse]
    return levels, sims


# ------------------------------------------------------------------------------------------- model
@dataclass
class Model:
    """Fellegi-Sunter parameters: m and u per comparison and level, and the prior among candidates."""
    lam: float
    m: dict[str, list[float]]
    u: dict[str, list[float]]
    iterations: int = 0
    converged: bool = True

    def weights(self, config: MatchConfig) -> list[np.ndarray]:
        return [np.log2(np.array(self.m[f.name]) / np.array(self.u[f.name])) for f in config.fields]

    def to_dict(self, config: MatchConfig) -> dict:
        return {"lambda": self.lam, "iterations": self.iterations, "converged": self.converged,
                "comparisons": {f.name: {"comparator": f.comparator, "levels": f.level_labels(),
                                         "m": [round(x, 6) for x in self.m[f.name]],
                                         "u": [float(f"{x:.6g}") for x in self.u[f.name]],
                                         "weight": [round(float(w), 3) for w in
                                                    np.log2(np.array(self.m[f.name]) / np.array(self.u[f.name]))]}
                                for f in config.fields}}

    @classmethod
    def from_dict(cls, doc: dict, config: MatchConfig) -> Model:
        comps = doc["comparisons"]
        missing = [f.name for f in config.fields if f.name not in comps]
        if missing:
            raise MatchInputError(f"pinned model has no parameters for comparison(s) {missing}")
        for f in config.fields:
            for key in ("m", "u"):
                if len(comps[f.name][key]) != f.n_levels:
                    raise MatchInputError(f"pinned model: {f.name}.{key} needs {f.n_levels} levels")
        return cls(lam=float(doc["lambda"]), m={f.name: list(map(float, comps[f.name]["m"])) for f in config.fields},
                   u={f.name: list(map(float, comps[f.name]["u"])) for f in config.fields})


def _clip(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, PROBABILITY_FLOOR, 1.0)
    return p / p.sum()


def estimate_u(prep: Prepared, config: MatchConfig, seed: int = SEED, sample: int = U_SAMPLE_PAIRS
               ) -> dict[str, list[float]]:
    """Chance agreement per level: exact level from value frequencies, the others from random pairs."""
    n = len(prep.ids)
    rng = np.random.default_rng(seed)
    if prep.group is not None:
        g = pd.Series(prep.group, dtype="object")
        left = np.flatnonzero((g == g.dropna().min()).to_numpy()) if g.notna().any() else np.zeros(0, int)
        right = np.flatnonzero((g.notna() & (g != g.dropna().min())).to_numpy()) if g.notna().any() else left
        size = min(sample, max(1, len(left) * len(right)))
        i = left[rng.integers(0, len(left), size)] if len(left) else np.zeros(0, int)
        j = right[rng.integers(0, len(right), size)] if len(right) else np.zeros(0, int)
    else:
        size = min(sample, max(1, n * (n - 1) // 2))
        i = rng.integers(0, max(n, 1), size)
        j = rng.integers(0, max(n, 1), size)
        keep = i != j
        i, j = np.minimum(i[keep], j[keep]), np.maximum(i[keep], j[keep])
    levels, _ = compare(prep, config, i, j)
    u = {}
    for f_idx, spec in enumerate(config.fields):
        k = spec.n_levels
        codes = prep.codes[spec.name]
        # exact agreement among two random records that both have a value: sum over values of p_v^2
        if prep.group is not None:
            gl = codes[(prep.group == prep.group[i[0]]) & (codes >= 0)] if len(i) else codes[:0]
            gr = codes[(prep.group != prep.group[i[0]]) & (codes >= 0)] if len(i) else codes[:0]
            cl = np.bincount(gl, minlength=len(prep.uniques[spec.name]))
            cr = np.bincount(gr, minlength=len(prep.uniques[spec.name]))
            denom = max(1, len(gl) * len(gr))
            u_exact = float((cl * cr).sum()) / denom
        else:
            present = codes[codes >= 0]
            counts = np.bincount(present, minlength=len(prep.uniques[spec.name])).astype(np.float64)
            total = counts.sum()
            u_exact = float((counts * (counts - 1)).sum() / max(1.0, total * (total - 1)))
        col = levels[:, f_idx]
        col = col[col >= 1]
        hist = np.bincount(col.astype(np.int64), minlength=k)[1:].astype(np.float64) + 0.5   # add-half smoothing
        rest = hist / hist.sum() * (1.0 - u_exact)
        u[spec.name] = _clip(np.concatenate([[max(u_exact, PROBABILITY_FLOOR)], rest])).tolist()
    return u


def _total_pairs(prep: Prepared) -> float:
    n = len(prep.ids)
    if prep.group is None:
        return n * (n - 1) / 2
    sizes = pd.Series(prep.group, dtype="object").value_counts()
    return float((sizes.sum() ** 2 - (sizes ** 2).sum()) / 2)


def _pattern_table(levels: np.ndarray, config: MatchConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct agreement patterns, their counts, and each pair's pattern index."""
    base = np.int64(max(f.n_levels for f in config.fields) + 1)
    code = np.zeros(len(levels), dtype=np.int64)
    for f_idx in range(levels.shape[1]):
        code = code * base + (levels[:, f_idx].astype(np.int64) + 1)
    distinct, inverse, counts = np.unique(code, return_inverse=True, return_counts=True)
    patterns = np.zeros((len(distinct), levels.shape[1]), dtype=np.int64)
    rem = distinct.copy()
    for f_idx in range(levels.shape[1] - 1, -1, -1):
        patterns[:, f_idx] = rem % base - 1
        rem //= base
    return patterns, counts.astype(np.float64), inverse


def _log_likelihoods(patterns: np.ndarray, m: dict, u: dict, config: MatchConfig) -> tuple[np.ndarray, np.ndarray]:
    lm = np.zeros(len(patterns))
    lu = np.zeros(len(patterns))
    for f_idx, spec in enumerate(config.fields):
        lv = patterns[:, f_idx]
        present = lv >= 0
        lm[present] += np.log(np.asarray(m[spec.name]))[lv[present]]
        lu[present] += np.log(np.asarray(u[spec.name]))[lv[present]]
    return lm, lu


def _em(patterns: np.ndarray, counts: np.ndarray, m: dict, u: dict, lam: float, config: MatchConfig,
        estimate: set[str]) -> tuple[float, dict, int, bool]:
    """EM over distinct patterns: re-estimates lambda and m of the comparisons in `estimate` (u fixed)."""
    iterations, converged = 0, False
    for iterations in range(1, EM_MAX_ITERATIONS + 1):
        lm, lu = _log_likelihoods(patterns, m, u, config)
        g = 1.0 / (1.0 + np.exp(np.clip(np.log1p(-lam) + lu - np.log(lam) - lm, -700, 700)))  # P(match | pattern)
        weighted = counts * g
        new_lam = float(np.clip(weighted.sum() / counts.sum(), 1e-9, 1 - 1e-9))
        new_m = dict(m)
        for f_idx, spec in enumerate(config.fields):
            if spec.name not in estimate:
                continue
            lv = patterns[:, f_idx]
            present = lv >= 0
            mass = np.bincount(lv[present], weights=weighted[present], minlength=spec.n_levels) + 1e-3
            new_m[spec.name] = _clip(mass / mass.sum()).tolist()
        delta = abs(new_lam - lam) + max([float(np.max(np.abs(np.array(new_m[n]) - np.array(m[n]))))
                                          for n in estimate] or [0.0])
        lam, m = new_lam, new_m
        if delta < EM_TOLERANCE:
            converged = True
            break
    return lam, m, iterations, converged


def _initial_m(config: MatchConfig) -> dict[str, list[float]]:
    return {f.name: _clip(np.array([0.9] + [0.1 * 0.5 ** (x + 1) for x in range(f.n_levels - 1)])).tolist()
            for f in config.fields}


def _global_em(patterns: np.ndarray, counts: np.ndarray, m: dict, u: dict, config: MatchConfig,
               total_pairs: float, refine_m: bool = True) -> tuple[float, dict, int]:
    """EM over ALL pairs: the prior that two random records match, and (refine_m) m again.

    Pairs that no blocking rule proposed are taken as non-matches, so the expected number of
    matches is the sum of the candidates' posteriors (lambda = sum(g) / total_pairs), and m is
    re-estimated from the candidates weighted by their posterior under that global prior: pairs
    that only blocking made look alike (a shared phone, a common surname) stop counting as matches.
    """
    lam = min(0.5, max(1e-12, 0.1 * counts.sum() / max(total_pairs, 1.0)))
    its = 0
    for its in range(1, 200):
        lm, lu = _log_likelihoods(patterns, m, u, config)
        g = 1.0 / (1.0 + np.exp(np.clip(np.log1p(-lam) + lu - np.log(lam) - lm, -700, 700)))
        weighted = counts * g
        new_lam = min(0.5, max(1e-12, float(weighted.sum()) / max(total_pairs, 1.0)))
        delta = abs(new_lam - lam) / lam
        if refine_m and weighted.sum() > 0:
            new_m = {}
            for f_idx, spec in enumerate(config.fields):
                lv = patterns[:, f_idx]
                present = lv >= 0
                mass = np.bincount(lv[present], weights=weighted[present], minlength=spec.n_levels) + 1e-3
                new_m[spec.name] = _clip(mass / mass.sum()).tolist()
                delta = max(delta, float(np.max(np.abs(np.array(new_m[spec.name]) - np.array(m[spec.name])))))
            m = new_m
        lam = new_lam
        if delta <= 1e-6:
            break
    return lam, m, its


def train(levels: np.ndarray, u: dict[str, list[float]], config: MatchConfig,
          sessions: list[np.ndarray] | None = None, total_pairs: float | None = None,
          rules: tuple[int, ...] | None = None) -> Model:
    """m by EM per blocking rule, then the prior (two random records match) over all pairs.

    As in Splink: the pairs a blocking rule proposes agree on that rule's columns by construction,
    so that agreement is no evidence there. Each rule is one training session over its own pairs
    with the comparisons on its columns left out; a comparison's m is the mean over the sessions
    that estimated it. Without this, EM tends to call every candidate a match.
    """
    names = [f.name for f in config.fields]
    if len(levels) == 0:
        return Model(lam=0.1, m=_initial_m(config), u=u, iterations=0, converged=False)
    if sessions is None:
        sessions = [np.ones(len(levels), dtype=bool)]
        fixed_by = [set()]
    else:
        rules = rules if rules is not None else tuple(range(len(config.blocking)))
        fixed_by = [{f.name for f in config.fields if set(f.columns) & {p.column for p in config.blocking[r]}}
                    for r in rules]
    estimates: dict[str, list[list[float]]] = {n: [] for n in names}
    iterations, converged = 0, True
    for mask, fixed in zip(sessions, fixed_by):
        sub = levels[mask]
        estimate = set(names) - fixed
        if len(sub) < 10 or not estimate:
            continue
        sub = sub.copy()
        for f_idx, name in enumerate(names):
            if name in fixed:
                sub[:, f_idx] = -1
        patterns, counts, _ = _pattern_table(sub, config)
        _, m, its, ok = _em(patterns, counts, _initial_m(config), u, 0.1, config, estimate)
        iterations += its
        converged = converged and ok
        for name in estimate:
            estimates[name].append(m[name])
    m = _initial_m(config)
    for name, runs in estimates.items():
        if runs:
            m[name] = _clip(np.mean(np.array(runs), axis=0)).tolist()
    patterns, counts, _ = _pattern_table(levels, config)
    total = float(total_pairs) if total_pairs else float(counts.sum())
    lam, m, its = _global_em(patterns, counts, m, u, config, total, refine_m=False)
    return Model(lam=lam, m=m, u=u, iterations=iterations + its, converged=converged)


def score(levels: np.ndarray, model: Model, config: MatchConfig, prep: Prepared | None = None,
          i: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Match weight (bits) and probability of each pair.

    With `term_frequency` on a comparison (and `prep`, `i` given), exact agreement on a value is
    weighted by that value's own frequency instead of the average: two "Müller"s are weaker
    evidence than two "Wojciechowski"s (as in Splink's term-frequency adjustments).
    """
    prior = math.log2(model.lam / (1 - model.lam))
    weight = np.full(len(levels), prior, dtype=np.float64)
    for f_idx, w in enumerate(model.weights(config)):
        lv = levels[:, f_idx]
        present = lv >= 0
        weight[present] += w[lv[present]]
        spec = config.fields[f_idx]
        if spec.term_frequency and prep is not None and i is not None:
            codes = prep.codes[spec.name]
            counts = np.bincount(codes[codes >= 0], minlength=len(prep.uniques[spec.name])).astype(np.float64)
            share = counts / max(1.0, counts.sum())
            exact = np.flatnonzero(lv == 0)
            u0 = model.u[spec.name][0]
            weight[exact] += np.log2(u0 / np.maximum(share[codes[i[exact]]], PROBABILITY_FLOOR))
    prob = 1.0 / (1.0 + np.exp2(-np.clip(weight, -1000, 1000)))
    return weight, prob


# ------------------------------------------------------------------------------------------- match
DECISIONS = ("merge", "separate")


@dataclass
class ScoredPairs:
    """Every candidate pair with its probability and evidence (levels, similarities), before decisions."""
    ids: np.ndarray                     # record ids in id order (pairs refer to them)
    pairs: pd.DataFrame                 # left_id, right_id, probability, match_weight, rule, <field>_level/_similarity
    model: Model
    blocking: BlockingStats
    blocked_values: dict[str, int]


@dataclass
class MatchResult:
    ids: np.ndarray
    pairs: pd.DataFrame                 # every candidate pair, scored, with its evidence and decision
    clusters: ClusterResult
    model: Model
    blocking: BlockingStats
    blocked_values: dict[str, int]

    def cluster_frame(self, id_column: str = "id") -> pd.DataFrame:
        """One row per record: its cluster id (the smallest id in it) and its cluster's weakest link."""
        c = self.clusters
        return pd.DataFrame({id_column: self.ids, "cluster_id": self.ids[c.representative],
                             "weakest_link_probability": c.weakest_link[c.labels]})


def score_pairs(records: pd.DataFrame, config: MatchConfig, model: Model | None = None, seed: int = SEED,
                progress: Progress | None = None) -> ScoredPairs:
    """Block, compare and score: every candidate pair with its probability and evidence."""
    say = progress or (lambda _m: None)
    prep = prepare(records, config)
    n = len(prep.ids)
    say(f"{n:,} records prepared" + (f"; blocked values: {prep.blocked}" if prep.blocked else ""))
    i, j, bstats = candidate_pairs(prep, config, say)
    say(f"{bstats.candidate_pairs:,} candidate pairs")
    levels, sims = compare(prep, config, i, j)
    say(f"compared {len(i):,} pairs on {len(config.fields)} comparisons")
    if model is None:
        u = estimate_u(prep, config, seed=seed)
        pair_code = i * n + j
        rules = config.training or tuple(range(len(config.blocking)))
        sessions = [np.isin(pair_code, bstats.rule_codes[r], assume_unique=True) for r in rules]
        model = train(levels, u, config, sessions, total_pairs=_total_pairs(prep), rules=rules)
        say(f"model estimated: lambda={model.lam:.4g}, EM {model.iterations} iterations"
            + ("" if model.converged else " (not converged)"))
    weight, prob = score(levels, model, config, prep, i)
    rule = np.full(len(i), "fuzzy", dtype=object)
    for name in reversed(config.exact_links):
        f_idx = [f.name for f in config.fields].index(name)
        rule[levels[:, f_idx] == 0] = f"{name}_exact"
    frame = {"left_id": prep.ids[i], "right_id": prep.ids[j], "probability": prob, "match_weight": weight,
             "rule": rule}
    for f_idx, spec in enumerate(config.fields):
        frame[f"{spec.name}_level"] = levels[:, f_idx]
        frame[f"{spec.name}_similarity"] = sims[:, f_idx]
    return ScoredPairs(prep.ids, pd.DataFrame(frame), model, bstats, prep.blocked)


def decide(probability: np.ndarray, rule: np.ndarray, config: MatchConfig) -> np.ndarray:
    """merge / review / separate by the thresholds; an exact-link pair is never silently separated."""
    exact = rule != "fuzzy"
    decision = np.where(probability >= config.auto_merge, "merge",
                        np.where(probability >= config.review, "review", "separate")).astype(object)
    decision[exact & (probability < config.review)] = "review"      # contradicted: a person looks, never silently split
    return decision


def resolve(ids: np.ndarray, pairs: pd.DataFrame, config: MatchConfig,
            decisions: Iterable[tuple[str, str, str]] = (), progress: Progress | None = None
            ) -> tuple[pd.DataFrame, ClusterResult]:
    """Decisions for scored pairs (reviewers' first), then clusters. Returns pairs with `decision`."""
    say = progress or (lambda _m: None)
    ids = np.asarray(ids).astype(str)
    n = len(ids)
    index = pd.Series(np.arange(n, dtype=np.int64), index=ids)
    i = index.reindex(pairs["left_id"].astype(str)).to_numpy()
    j = index.reindex(pairs["right_id"].astype(str)).to_numpy()
    prob = pairs["probability"].to_numpy(dtype=np.float64)
    decision = decide(prob, pairs["rule"].to_numpy(dtype=object), config)
    rule = pairs["rule"].to_numpy(dtype=object).copy()

    reviewed: dict[tuple[int, int], str] = {}
    unknown = []
    for left, right, d in decisions:
        if d not in DECISIONS:
            raise MatchInputError(f"review decision {d!r} for ({left}, {right}): expected merge or separate")
        a, b = index.get(str(left)), index.get(str(right))
        if a is None or b is None:
            unknown.append((left, right))
        elif a != b:
            reviewed[(min(int(a), int(b)), max(int(a), int(b)))] = d    # the last decision on a pair wins
    if unknown:
        say(f"{len(unknown)} review decision(s) name ids not in the input, ignored: {unknown[:3]}")
    code = i * n + j
    if reviewed:
        by_code = {a * n + b: d for (a, b), d in reviewed.items()}
        for k in np.flatnonzero(np.isin(code, np.fromiter(by_code, dtype=np.int64))):
            decision[k] = "review_" + by_code[int(code[k])]
            rule[k] = "review"
    accept = np.flatnonzero(decision == "merge")
    accept = accept[np.lexsort((j[accept], i[accept], -prob[accept]))]      # strongest first, ties by id
    clusters = cluster(n, links=list(zip(i[accept].tolist(), j[accept].tolist(), prob[accept].tolist())),
                       forced=[k for k, d in reviewed.items() if d == "merge"],
                       cannot_link=[k for k, d in reviewed.items() if d == "separate"],
                       max_size=config.max_cluster_size)
    if clusters.refused:
        refused = pd.Series({a * n + b: f"refused_{why}" for a, b, why in clusters.refused})
        hit = np.flatnonzero(np.isin(code, refused.index.to_numpy()))
        decision[hit] = refused.reindex(code[hit]).to_numpy()
        say(f"{len(clusters.refused):,} link(s) refused (cluster size cap or a reviewer's separate)")
    out = pairs.copy()
    out["rule"] = rule
    out["decision"] = decision
    # pairs a reviewer decided that blocking never proposed still show, as the evidence of the decision
    proposed = set(code.tolist())
    extra = [(a, b, d) for (a, b), d in reviewed.items() if a * n + b not in proposed]
    if extra:
        out = pd.concat([out, pd.DataFrame({
            "left_id": [ids[a] for a, _, _ in extra], "right_id": [ids[b] for _, b, _ in extra],
            "probability": np.nan, "match_weight": np.nan, "rule": "review",
            "decision": [f"review_{d}" for _, _, d in extra]})], ignore_index=True)
    return out, clusters


def run_match(records: pd.DataFrame, config: MatchConfig, decisions: Iterable[tuple[str, str, str]] = (),
              model: Model | None = None, seed: int = SEED, progress: Progress | None = None) -> MatchResult:
    """Match `records` as `config` says; `decisions` are reviewer (left_id, right_id, merge|separate)."""
    scored = score_pairs(records, config, model=model, seed=seed, progress=progress)
    pairs, clusters = resolve(scored.ids, scored.pairs, config, decisions, progress)
    return MatchResult(scored.ids, pairs, clusters, scored.model, scored.blocking, scored.blocked_values)
