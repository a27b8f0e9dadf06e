"""Step 4, model (Fellegi-Sunter): `u` (chance agreement) per level from value frequencies (exact
level, computed exactly) and a seeded sample of random pairs (other levels); `m` (agreement among
matches) and the match prior `lambda` by EM over the distinct agreement patterns of the
candidates, with `u` fixed. A pair's match weight is `log2(lambda/(1-lambda)) + sum log2(m/u)` and
its probability `2^w / (1 + 2^w)`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestration.lib.identity.match_config import MatchConfig
from orchestration.lib.identity.matching.comparison import compare
from orchestration.lib.identity.matching.preparation import MatchInputError, PreparedRecords

SEED = 42
U_SAMPLE_PAIRS = 1_000_000      # random pairs for estimating u (the non-exact levels)
EM_MAX_ITERATIONS = 60
EM_TOLERANCE = 1e-7
PROBABILITY_FLOOR = 1e-6        # m and u never reach 0 or 1 (no single field is proof)


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

    def weights_table(self, config: MatchConfig) -> list[dict]:
        """One row per comparison: its match weight (bits) at each agreement level."""
        comparisons = self.to_dict(config)["comparisons"]
        return [{"comparison": name, **dict(zip(c["levels"], c["weight"]))} for name, c in comparisons.items()]

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


def _floored_distribution(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, PROBABILITY_FLOOR, 1.0)
    return p / p.sum()


def estimate_u(prep: PreparedRecords, config: MatchConfig, seed: int = SEED, sample: int = U_SAMPLE_PAIRS
               ) -> dict[str, list[float]]:
    """Chance agreement per level: exact level from value frequencies, the others from random pairs."""
    n = len(prep.ids)
    rng = np.random.default_rng(seed)
    if prep.link_group is not None:
        g = pd.Series(prep.link_group, dtype="object")
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
        if prep.link_group is not None:
            gl = codes[(prep.link_group == prep.link_group[i[0]]) & (codes >= 0)] if len(i) else codes[:0]
            gr = codes[(prep.link_group != prep.link_group[i[0]]) & (codes >= 0)] if len(i) else codes[:0]
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
        u[spec.name] = _floored_distribution(np.concatenate([[max(u_exact, PROBABILITY_FLOOR)], rest])).tolist()
    return u


def all_pair_count(prep: PreparedRecords) -> float:
    """How many pairs of records there are (across link groups when linking)."""
    n = len(prep.ids)
    if prep.link_group is None:
        return n * (n - 1) / 2
    sizes = pd.Series(prep.link_group, dtype="object").value_counts()
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


def _expectation_maximization(patterns: np.ndarray, counts: np.ndarray, m: dict, u: dict, lam: float,
                              config: MatchConfig, estimate: set[str]) -> tuple[float, dict, int, bool]:
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
            new_m[spec.name] = _floored_distribution(mass / mass.sum()).tolist()
        delta = abs(new_lam - lam) + max([float(np.max(np.abs(np.array(new_m[n]) - np.array(m[n]))))
                                          for n in estimate] or [0.0])
        lam, m = new_lam, new_m
        if delta < EM_TOLERANCE:
            converged = True
            break
    return lam, m, iterations, converged


def _initial_m(config: MatchConfig) -> dict[str, list[float]]:
    return {f.name: _floored_distribution(
                np.array([0.9] + [0.1 * 0.5 ** (x + 1) for x in range(f.n_levels - 1)])).tolist()
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
        lam_s, m, its, ok = _expectation_maximization(patterns, counts, _initial_m(config), u, 0.1, config,
                                                      estimate)
        iterations += its
        converged = converged and ok
        for name in estimate:
            estimates[name].append((lam_s, m[name]))
    m = _initial_m(config)
    for name, runs in estimates.items():
        if runs:
            # from the purest session that estimated it: in a session of mostly non-matches (a common
            # surname in one postcode) a few look-alikes pass for matches and blur what matches look like
            m[name] = _floored_distribution(np.array(max(runs, key=lambda r: r[0])[1])).tolist()
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
