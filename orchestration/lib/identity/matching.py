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
6. **Cluster** (`lib/identity/clustering.py`): union-find over accepted links, strongest first, never
   beyond `max_cluster_size` and never across a `separate` decision.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from orchestration.lib.identity.clustering import ClusterResult, cluster
from orchestration.lib.identity.match_config import FieldSpec, KeyPart, MatchConfig

SEED = 42
U_SAMPLE_PAIRS = 1_000_000      # random pairs for estimating u (the non-exact levels)
EM_MAX_ITERATIONS = 60
EM_TOLERANCE = 1e-7
EXACT_LINK_FLOOR = 0.01         # an exact-link pair below this probability is plainly two people
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
    key_parts: pd.DataFrame               # one column per distinct blocking key part (text or None)
    part_names: list[list[str]]           # per blocking rule: its key part columns in key_parts
    group: np.ndarray | None              # link_across value per record, or None
    blocked: dict[str, int] = field(default_factory=dict)   # comparison -> values blocked
    derived: dict = field(default_factory=dict)              # comparison -> _Derived (filled by compare)


def _text(series: pd.Series) -> np.ndarray:
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
    id_array = ids.to_numpy(dtype=object)
    order = np.argsort(id_array.astype(str), kind="stable")
    recs = records.iloc[order].reset_index(drop=True)
    sorted_ids = id_array[order]

    text = {c: _text(recs[c]) for c in config.columns if c != config.id_column}
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

    codes, uniques = {}, {}
    for name, v in values.items():
        c, u = pd.factorize(pd.Series(v, dtype="object"), use_na_sentinel=True)
        codes[name] = c.astype(np.int64)
        uniques[name] = np.asarray(u, dtype=object)

    raw_cols = {c: text[c] for c in {p.column for rule in config.blocking for p in rule}}
    # a blocked comparison value is also unusable as a blocking key of the same column
    for f in config.fields:
        if len(f.columns) == 1 and f.columns[0] in raw_cols and blocked_counts.get(f.name):
            raw_cols[f.columns[0]] = np.where(values[f.name] == None, None, raw_cols[f.columns[0]])  # noqa: E711
    parts: dict[str, np.ndarray] = {}
    part_names = []
    for rule in config.blocking:
        names = []
        for p in rule:
            key = str(p)
            if key not in parts:
                parts[key] = _apply_key(raw_cols[p.column], p)
            names.append(key)
        part_names.append(names)
    key_parts = pd.DataFrame({f"p{n}": parts[k] for n, k in enumerate(parts)})
    column_of = {k: f"p{n}" for n, k in enumerate(parts)}
    part_names = [[column_of[k] for k in names] for names in part_names]
    group = text[config.link_across] if config.link_across else None
    return Prepared(sorted_ids, values, codes, uniques, key_parts, part_names, group, blocked_counts)


# ------------------------------------------------------------------------------------------- block
@dataclass
class BlockingStats:
    rules: list[dict]
    candidate_pairs: int


def candidate_pairs(prep: Prepared, config: MatchConfig, progress: Progress | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, BlockingStats]:
    """Distinct (i, j), i < j, agreeing on some blocking rule, with a bit mask of the rules they agree on.

    One DuckDB query per rule joins the records on the rule's key (NULL in any part: no key); blocks
    larger than max_block_size are skipped and reported. The union is aggregated in DuckDB.
    """
    import duckdb

    con = duckdb.connect()
    n = len(prep.ids)
    frame = prep.key_parts.copy()
    frame.insert(0, "i", np.arange(n, dtype=np.int64))
    if prep.group is not None:
        frame["g"] = prep.group
    con.register("key_parts", frame)
    across = "and a.g <> b.g" if prep.group is not None else ""
    stats, selects = [], []
    for r, names in enumerate(prep.part_names):
        key = " || chr(31) || ".join(f"{c}" for c in names)
        con.execute(f"""create or replace temp table rule_{r} as
            select i, {key} as k{', g' if prep.group is not None else ''} from key_parts
            where {' and '.join(f'{c} is not null' for c in names)}""")
        skipped, skipped_records, largest = con.execute(f"""
            select count(*) filter (where n > $cap), coalesce(sum(n) filter (where n > $cap), 0),
                   coalesce(max(n), 0)
            from (select count(*) as n from rule_{r} group by k)""", {"cap": config.max_block_size}).fetchall()[0]
        con.execute(f"""
            create or replace temp table pairs_{r} as
            with usable as (select * from rule_{r} where k in (
                select k from rule_{r} group by k having count(*) <= $cap))
            select a.i as i, b.i as j from usable a join usable b on a.k = b.k and a.i < b.i {across}""",
                    {"cap": config.max_block_size})
        pairs = con.execute(f"select count(*) from pairs_{r}").fetchall()[0][0]
        selects.append(f"select i, j, {1 << r}::bigint as bit from pairs_{r}")
        rule_text = ", ".join(str(p) for p in config.blocking[r])
        stats.append({"rule": f"[{rule_text}]", "pairs": int(pairs), "skipped_blocks": int(skipped),
                      "skipped_records": int(skipped_records), "largest_block": int(largest)})
        if progress:
            progress(f"blocking rule {r + 1}/{len(prep.part_names)} [{rule_text}]: {pairs:,} pairs"
                     + (f", {skipped} blocks over {config.max_block_size} records skipped" if skipped else ""))
    result = con.execute(f"""
        select i, j, bit_or(bit) as rules from ({' union all '.join(selects)}) group by i, j order by i, j
    """).fetchnumpy()
    con.close()
    i, j, rules = (result[c].astype(np.int64) for c in ("i", "j", "rules"))
    return i, j, rules, BlockingStats(stats, int(len(i)))


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
    from rapidfuzz.distance import OSA

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
        # a typo: the same local part at a domain one edit away (gmial.com, otlook.es). A similar local
        # part is no evidence beyond the names it is made of: anna.muller@ and anna.mueller@ at one
        # provider are as often two people as one.
        same_dom = d.domain_code[ia] == d.domain_code[ib]
        same_loc = d.local_code[ia] == d.local_code[ib]
        level = np.full(len(ia), 2, dtype=np.int8)
        sim = np.zeros(len(ia), dtype=np.float32)
        k = np.flatnonzero(same_loc & ~same_dom)
        if len(k):
            dd = process.cpdist(d.domain[ia[k]].tolist(), d.domain[ib[k]].tolist(), scorer=OSA.distance, workers=-1)
            level[k[dd <= 1]] = 1                       # gmial.com, otlook.es; not gmail.com vs hotmail.com
            sim[k] = 1.0 - np.minimum(dd, 10) / 10.0
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
    _swapped_fields(prep, config, i, j, levels, sims)
    return levels, sims


def _swapped_fields(prep: Prepared, config: MatchConfig, i: np.ndarray, j: np.ndarray, levels: np.ndarray,
                    sims: np.ndarray) -> None:
    """Fields entered the wrong way round (first name in the last-name column): for a comparison with
    `swap_with`, a pair that disagrees on both fields but agrees crosswise takes the crosswise levels."""
    names = [f.name for f in config.fields]
    for f_idx, spec in enumerate(config.fields):
        if not spec.swap_with:
            continue
        g_idx = names.index(spec.swap_with)
        other = config.fields[g_idx]
        worst_f, worst_g = spec.n_levels - 1, other.n_levels - 1
        k = np.flatnonzero((levels[:, f_idx] == worst_f) & (levels[:, g_idx] == worst_g))
        if not len(k):
            continue
        vf, vg = prep.values[spec.name], prep.values[other.name]
        a_f, b_g = vf[i[k]].tolist(), vg[j[k]].tolist()
        a_g, b_f = vg[i[k]].tolist(), vf[j[k]].tolist()
        lv_1, s_1 = _levels_for_distinct(spec, np.array(a_f + b_g, dtype=object), None,
                                         np.arange(len(k)), np.arange(len(k), 2 * len(k)))
        lv_2, s_2 = _levels_for_distinct(other, np.array(a_g + b_f, dtype=object), None,
                                         np.arange(len(k)), np.arange(len(k), 2 * len(k)))
        equal_1 = np.array([x == y for x, y in zip(a_f, b_g)])
        equal_2 = np.array([x == y for x, y in zip(a_g, b_f)])
        lv_1[equal_1], lv_2[equal_2] = 0, 0
        hit = (lv_1 < worst_f - 1) & (lv_2 < worst_g - 1)   # both crosswise at least the first similarity band
        levels[k[hit], f_idx], levels[k[hit], g_idx] = lv_1[hit], lv_2[hit]
        sims[k[hit], f_idx], sims[k[hit], g_idx] = s_1[hit], s_2[hit]


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
                                         "weight": [round(float(x), 3) for x in w]}
                                for f, w in zip(config.fields, self.weights(config))}}

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


def _global_prior(patterns: np.ndarray, counts: np.ndarray, m: dict, u: dict, config: MatchConfig,
                  total_pairs: float) -> tuple[float, int]:
    """The probability that two random records match, by EM over ALL pairs (m and u fixed).

    Pairs that no blocking rule proposed are taken as non-matches, so the expected number of
    matches is the sum of the candidates' posteriors: lambda = sum(g) / total_pairs.
    """
    lm, lu = _log_likelihoods(patterns, m, u, config)
    lam = min(0.5, max(1e-12, 0.1 * counts.sum() / max(total_pairs, 1.0)))
    its = 0
    for its in range(1, 200):
        g = 1.0 / (1.0 + np.exp(np.clip(np.log1p(-lam) + lu - np.log(lam) - lm, -700, 700)))
        new_lam = min(0.5, max(1e-12, float((counts * g).sum()) / max(total_pairs, 1.0)))
        if abs(new_lam - lam) <= 1e-6 * lam:
            return new_lam, its
        lam = new_lam
    return lam, its


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
        lam_s, m, its, ok = _em(patterns, counts, _initial_m(config), u, 0.1, config, estimate)
        iterations += its
        converged = converged and ok
        for name in estimate:
            estimates[name].append((lam_s, m[name]))
    m = _initial_m(config)
    for name, runs in estimates.items():
        if runs:
            # from the purest session that estimated it: in a session of mostly non-matches (a common
            # surname in one postcode) a few look-alikes pass for matches and blur what matches look like
            m[name] = _clip(np.array(max(runs, key=lambda r: r[0])[1])).tolist()
    patterns, counts, _ = _pattern_table(levels, config)
    total = float(total_pairs) if total_pairs else float(counts.sum())
    lam, its = _global_prior(patterns, counts, m, u, config, total)
    return Model(lam=lam, m=m, u=u, iterations=iterations + its, converged=converged)


def score(levels: np.ndarray, model: Model, config: MatchConfig) -> tuple[np.ndarray, np.ndarray]:
    """Match weight (bits) and probability of each pair."""
    prior = math.log2(model.lam / (1 - model.lam))
    weight = np.full(len(levels), prior, dtype=np.float64)
    for f_idx, w in enumerate(model.weights(config)):
        lv = levels[:, f_idx]
        present = lv >= 0
        weight[present] += w[lv[present]]
    prob = 1.0 / (1.0 + np.exp2(-np.clip(weight, -1000, 1000)))
    return weight, prob


# ------------------------------------------------------------------------------------------- match
DECISIONS = ("merge", "separate")
# pair decisions, as small codes while arrays are large (DECISION_NAMES[code])
DECISION_NAMES = ("separate", "review", "merge", "review_merge", "review_separate", "refused_size_cap",
                  "refused_separate")
SEPARATE, REVIEW, MERGE, REVIEW_MERGE, REVIEW_SEPARATE, REFUSED_SIZE_CAP, REFUSED_SEPARATE = range(7)


@dataclass
class ScoredPairs:
    """Every candidate pair (record indices into `ids`, i < j) with its probability and evidence."""
    ids: np.ndarray                     # record ids in id order
    i: np.ndarray
    j: np.ndarray
    levels: np.ndarray                  # int8 (pairs x comparisons), -1 = missing
    similarities: np.ndarray            # float32 (pairs x comparisons)
    probability: np.ndarray
    match_weight: np.ndarray
    rule: np.ndarray                    # object: "fuzzy" or "<comparison>_exact"
    model: Model
    blocking: BlockingStats
    blocked_values: dict[str, int]
    config: MatchConfig

    def numeric_frame(self) -> pd.DataFrame:
        """The pairs as numbers only (cheap at millions of rows): i, j, probability, ... per comparison."""
        frame = {"i": self.i, "j": self.j, "probability": self.probability, "match_weight": self.match_weight,
                 "rule": pd.Categorical(self.rule)}
        for f_idx, spec in enumerate(self.config.fields):
            frame[f"{spec.name}_level"] = self.levels[:, f_idx]
            frame[f"{spec.name}_similarity"] = self.similarities[:, f_idx]
        return pd.DataFrame(frame)


@dataclass
class Resolution:
    decision: np.ndarray                # int8 code per pair (DECISION_NAMES)
    clusters: ClusterResult
    reviewed_only: list[tuple[int, int, str]]    # reviewer pairs blocking never proposed (i, j, decision)


@dataclass
class MatchResult:
    ids: np.ndarray
    scored: ScoredPairs
    resolution: Resolution

    @property
    def clusters(self) -> ClusterResult:
        return self.resolution.clusters

    @property
    def model(self) -> Model:
        return self.scored.model

    @property
    def blocking(self) -> BlockingStats:
        return self.scored.blocking

    @property
    def blocked_values(self) -> dict[str, int]:
        return self.scored.blocked_values

    @property
    def pairs(self) -> pd.DataFrame:
        """Every candidate pair with ids, evidence and decision (builds id strings: for modest sizes)."""
        s = self.scored
        frame = s.numeric_frame()
        frame.insert(0, "right_id", self.ids[s.j])
        frame.insert(0, "left_id", self.ids[s.i])
        frame["rule"] = s.rule
        frame["decision"] = np.array(DECISION_NAMES, dtype=object)[self.resolution.decision]
        frame.loc[np.isin(self.resolution.decision, (REVIEW_MERGE, REVIEW_SEPARATE)), "rule"] = "review"
        frame = frame.drop(columns=["i", "j"])
        extra = self.resolution.reviewed_only
        if extra:
            frame = pd.concat([frame, pd.DataFrame({
                "left_id": [self.ids[a] for a, _, _ in extra], "right_id": [self.ids[b] for _, b, _ in extra],
                "probability": np.nan, "match_weight": np.nan, "rule": "review",
                "decision": [f"review_{d}" for _, _, d in extra]})], ignore_index=True)
        return frame

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
    i, j, rules, bstats = candidate_pairs(prep, config, say)
    say(f"{bstats.candidate_pairs:,} candidate pairs")
    levels, sims = compare(prep, config, i, j)
    say(f"compared {len(i):,} pairs on {len(config.fields)} comparisons")
    if model is None:
        u = estimate_u(prep, config, seed=seed)
        training = config.training or tuple(range(len(config.blocking)))
        sessions = [(rules >> r) & 1 == 1 for r in training]
        model = train(levels, u, config, sessions, total_pairs=_total_pairs(prep), rules=training)
        say(f"model estimated: lambda={model.lam:.4g}, EM {model.iterations} iterations"
            + ("" if model.converged else " (not converged)"))
    weight, prob = score(levels, model, config)
    rule = np.full(len(i), "fuzzy", dtype=object)
    for name in reversed(config.exact_links):
        f_idx = [f.name for f in config.fields].index(name)
        rule[levels[:, f_idx] == 0] = f"{name}_exact"
    return ScoredPairs(prep.ids, i, j, levels, sims, prob, weight, rule, model, bstats, prep.blocked, config)


def decide(probability: np.ndarray, rule: np.ndarray, config: MatchConfig) -> np.ndarray:
    """merge / review / separate codes by the thresholds; an exact-link pair with some doubt is reviewed."""
    decision = np.where(probability >= config.auto_merge, MERGE,
                        np.where(probability >= config.review, REVIEW, SEPARATE)).astype(np.int8)
    # the same email or phone, contradicted by the rest: a person looks, unless the rest says clearly
    # that these are different people (a shared phone, nothing else in common)
    decision[(rule != "fuzzy") & (probability < config.review) & (probability >= EXACT_LINK_FLOOR)] = REVIEW
    return decision


def resolve(ids: np.ndarray, i: np.ndarray, j: np.ndarray, probability: np.ndarray, rule: np.ndarray,
            config: MatchConfig, decisions: Iterable[tuple[str, str, str]] = (),
            progress: Progress | None = None) -> Resolution:
    """Decisions for scored pairs (reviewers' first), then clusters."""
    say = progress or (lambda _m: None)
    ids = np.asarray(ids, dtype=object)
    n = len(ids)
    index = {rid: k for k, rid in enumerate(ids.tolist())}
    decision = decide(probability, rule, config)
    reviewed: dict[tuple[int, int], str] = {}
    unknown = []
    for left, right, d in decisions:
        if d not in DECISIONS:
            raise MatchInputError(f"review decision {d!r} for ({left}, {right}): expected merge or separate")
        a, b = index.get(str(left)), index.get(str(right))
        if a is None or b is None:
            unknown.append((left, right))
        elif a != b:
            reviewed[(min(a, b), max(a, b))] = d        # the last decision on a pair wins
    if unknown:
        say(f"{len(unknown)} review decision(s) name ids not in the input, ignored: {unknown[:3]}")
    code = i * n + j
    reviewed_only = []
    if reviewed:
        by_code = {a * n + b: d for (a, b), d in reviewed.items()}
        hit = np.flatnonzero(np.isin(code, np.fromiter(by_code, dtype=np.int64)))
        for k in hit:
            decision[k] = REVIEW_MERGE if by_code[int(code[k])] == "merge" else REVIEW_SEPARATE
        proposed = set(code[hit].tolist())
        reviewed_only = [(a, b, d) for (a, b), d in reviewed.items() if a * n + b not in proposed]
    accept = np.flatnonzero(decision == MERGE)
    accept = accept[np.lexsort((j[accept], i[accept], -probability[accept]))]   # strongest first, ties by id
    clusters = cluster(n, links=list(zip(i[accept].tolist(), j[accept].tolist(), probability[accept].tolist())),
                       forced=sorted(k for k, d in reviewed.items() if d == "merge"),
                       cannot_link=sorted(k for k, d in reviewed.items() if d == "separate"),
                       max_size=config.max_cluster_size)
    if clusters.refused:
        refused = {a * n + b: (REFUSED_SIZE_CAP if why == "size_cap" else REFUSED_SEPARATE)
                   for a, b, why in clusters.refused}
        for k in np.flatnonzero(np.isin(code, np.fromiter(refused, dtype=np.int64))):
            decision[k] = refused[int(code[k])]
        say(f"{len(clusters.refused):,} link(s) refused (cluster size cap or a reviewer's separate)")
    return Resolution(decision, clusters, reviewed_only)


def run_match(records: pd.DataFrame, config: MatchConfig, decisions: Iterable[tuple[str, str, str]] = (),
              model: Model | None = None, seed: int = SEED, progress: Progress | None = None) -> MatchResult:
    """Match `records` as `config` says; `decisions` are reviewer (left_id, right_id, merge|separate)."""
    scored = score_pairs(records, config, model=model, seed=seed, progress=progress)
    resolution = resolve(scored.ids, scored.i, scored.j, scored.probability, scored.rule, config, decisions,
                         progress)
    return MatchResult(scored.ids, scored, resolution)
