"""Steps 1-4 in a row: block, compare and score; every candidate pair with its probability and evidence.
The model is re-estimated on every input (the best threshold differs between sources), or pinned
with `model=` for stable runs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestration.lib.identity.match_config import MatchConfig
from orchestration.lib.identity.matching.blocking import BlockingStats, candidate_pairs
from orchestration.lib.identity.matching.comparison import compare
from orchestration.lib.identity.matching.model import SEED, Model, all_pair_count, estimate_u, score, train
from orchestration.lib.identity.matching.preparation import Progress, prepare


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


def score_pairs(records: pd.DataFrame, config: MatchConfig, model: Model | None = None, seed: int = SEED,
                progress: Progress | None = None) -> ScoredPairs:
    """Block, compare and score: every candidate pair with its probability and evidence."""
    say = progress or (lambda _m: None)
    prep = prepare(records, config)
    n = len(prep.ids)
    say(f"{n:,} records prepared" + (f"; blocked values: {prep.blocked_counts}" if prep.blocked_counts else ""))
    i, j, rules, blocking_stats = candidate_pairs(prep, config, say)
    say(f"{blocking_stats.candidate_pairs:,} candidate pairs")
    levels, similarities = compare(prep, config, i, j)
    say(f"compared {len(i):,} pairs on {len(config.fields)} comparisons")
    if model is None:
        u = estimate_u(prep, config, seed=seed)
        training = config.training or tuple(range(len(config.blocking)))
        sessions = [(rules >> r) & 1 == 1 for r in training]
        model = train(levels, u, config, sessions, total_pairs=all_pair_count(prep), rules=training)
        say(f"model estimated: lambda={model.lam:.4g}, EM {model.iterations} iterations"
            + ("" if model.converged else " (not converged)"))
    weight, probability = score(levels, model, config)
    rule = np.full(len(i), "fuzzy", dtype=object)
    for name in reversed(config.exact_links):
        f_idx = [f.name for f in config.fields].index(name)
        rule[levels[:, f_idx] == 0] = f"{name}_exact"
    return ScoredPairs(prep.ids, i, j, levels, similarities, probability, weight, rule, model, blocking_stats,
                       prep.blocked_counts, config)
