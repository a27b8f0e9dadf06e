"""Steps 5 and 6, decide and cluster: `p >= auto_merge` merge; `review <= p < auto_merge` review
queue; else separate. A pair agreeing exactly on an `exact_links` comparison (same email, same
phone) merges unless the rest of the evidence contradicts it (`p < review`): then it goes to
review, never silently either way. Reviewer decisions override: `merge` forces the link,
`separate` forbids it. Clusters come from `lib/identity/clustering.py`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestration.lib.identity.clustering import ClusterResult, cluster
from orchestration.lib.identity.match_config import MatchConfig
from orchestration.lib.identity.matching.blocking import BlockingStats
from orchestration.lib.identity.matching.model import SEED, Model
from orchestration.lib.identity.matching.preparation import MatchInputError, Progress
from orchestration.lib.identity.matching.scoring import ScoredPairs, score_pairs

EXACT_LINK_FLOOR = 0.01         # an exact-link pair below this probability is plainly two people
DECISIONS = ("merge", "separate")
# pair decisions, as small codes while arrays are large (DECISION_NAMES[code])
DECISION_NAMES = ("separate", "review", "merge", "review_merge", "review_separate", "refused_size_cap",
                  "refused_separate")
SEPARATE, REVIEW, MERGE, REVIEW_MERGE, REVIEW_SEPARATE, REFUSED_SIZE_CAP, REFUSED_SEPARATE = range(7)


@dataclass
class Resolution:
    decision: np.ndarray                # int8 code per pair (DECISION_NAMES)
    clusters: ClusterResult
    reviewed_only: list[tuple[int, int, str]]    # reviewer pairs blocking never proposed (i, j, decision)

    def reviewed_only_frame(self, ids: np.ndarray) -> pd.DataFrame:
        """The reviewer pairs blocking never proposed, by id: left_id, right_id, decision (review_merge or
        review_separate)."""
        return pd.DataFrame({"left_id": [ids[a] for a, _, _ in self.reviewed_only],
                             "right_id": [ids[b] for _, b, _ in self.reviewed_only],
                             "decision": [f"review_{d}" for _, _, d in self.reviewed_only]}, dtype="object")


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
        if self.resolution.reviewed_only:
            extra = self.resolution.reviewed_only_frame(self.ids)
            extra = extra.assign(probability=np.nan, match_weight=np.nan, rule="review")
            frame = pd.concat([frame, extra], ignore_index=True)
        return frame

    def cluster_frame(self, id_column: str = "id") -> pd.DataFrame:
        """One row per record: its cluster id (the smallest id in it) and its cluster's weakest link."""
        c = self.clusters
        return pd.DataFrame({id_column: self.ids, "cluster_id": self.ids[c.representative],
                             "weakest_link_probability": c.weakest_link[c.labels]})


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
