"""Pairwise precision / recall / F1 of record linkage against ground truth (pure functions).

A *pair* is an unordered pair of distinct records.  The truth links two records when they have
the same entity id; a prediction links them when they are in the same predicted cluster
(``metrics_from_clusters``) or when the pair is in the predicted list (``metrics_from_pairs``).

Cluster metrics never enumerate pairs: they count them from the contingency table of
(predicted cluster, true entity) cell sizes, ``sum C(n, 2)``, so 1M records cost one pass.

``sources`` (optional, ``record_id -> source``) restricts every count to pairs whose two records
come from different sources: the linkage of two files (FEBRL4), where pairs inside one file are
neither asked for nor scored.  Within one group of ``n`` records of which ``n_s`` per source,
the cross-source pairs are ``C(n, 2) - sum_s C(n_s, 2)``.

Conventions: the truth defines the universe of records.  A record missing from the predicted
clusters is its own singleton; a predicted record or pair naming an id the truth does not know
is an error (it means the two sides were joined on the wrong key).  With no predicted pairs the
precision is 1.0 (no false positive was made); with no true pairs the recall is 1.0; F1 is 0.0
when precision + recall is 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class PairMetrics:
    true_positives: int   # predicted pairs that are true pairs
    predicted_pairs: int  # pairs the prediction links
    true_pairs: int       # pairs the truth links

    @property
    def false_positives(self) -> int:
        return self.predicted_pairs - self.true_positives

    @property
    def false_negatives(self) -> int:
        return self.true_pairs - self.true_positives

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict:
        return {**asdict(self), "false_positives": self.false_positives, "false_negatives": self.false_negatives,
                "precision": self.precision, "recall": self.recall, "f1": self.f1}


def _pair_count(n: int) -> int:
    """C(n, 2): the pairs of n records."""
    return n * (n - 1) // 2


def _pairs_in_groups(groups: Counter, across_sources: bool) -> int:
    """Pairs inside groups. Keys are group ids, or (group id, source) when ``across_sources``."""
    if not across_sources:
        return sum(_pair_count(n) for n in groups.values())
    totals: Counter = Counter()
    same_source = 0
    for (group, _source), n in groups.items():
        totals[group] += n
        same_source += _pair_count(n)
    return sum(_pair_count(n) for n in totals.values()) - same_source


def _check_known(ids: Iterable[Hashable], known: Mapping[Hashable, Hashable], what: str) -> None:
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValueError(f"{len(unknown):,} {what}, e.g. {unknown[:3]!r}")


def metrics_from_clusters(predicted: Mapping[Hashable, Hashable], truth: Mapping[Hashable, Hashable],
                          sources: Mapping[Hashable, Hashable] | None = None) -> PairMetrics:
    """Pairwise metrics of a clustering ``record_id -> cluster_id`` against ``record_id -> entity_id``."""
    _check_known(predicted, truth, "predicted record ids are not in the truth")
    if sources is not None:
        _check_known(truth, sources, "records of the truth have no source")
    cells: Counter = Counter()
    clusters: Counter = Counter()
    entities: Counter = Counter()
    for rid, entity in truth.items():
        # a record the prediction left out is its own singleton cluster
        cluster = ("cluster", predicted[rid]) if rid in predicted else ("singleton", rid)
        if sources is None:
            cells[(cluster, entity)] += 1
            clusters[cluster] += 1
            entities[entity] += 1
        else:
            s = sources[rid]
            cells[((cluster, entity), s)] += 1
            clusters[(cluster, s)] += 1
            entities[(entity, s)] += 1
    cross = sources is not None
    return PairMetrics(true_positives=_pairs_in_groups(cells, cross),
                       predicted_pairs=_pairs_in_groups(clusters, cross),
                       true_pairs=_pairs_in_groups(entities, cross))


def metrics_from_pairs(pairs: Iterable[tuple[Hashable, Hashable]], truth: Mapping[Hashable, Hashable],
                       sources: Mapping[Hashable, Hashable] | None = None) -> PairMetrics:
    """Pairwise metrics of a list of linked pairs (any order, repeats and self-pairs ignored).

    With ``sources``, predicted pairs inside one source are dropped (not scored) and only
    cross-source true pairs count.
    """
    seen: set = set()
    true_positives = 0
    for a, b in pairs:
        if a == b:
            continue
        _check_known((a, b), truth, "predicted pair ids are not in the truth")
        if sources is not None and sources[a] == sources[b]:
            continue
        key = frozenset((a, b))
        if key in seen:
            continue
        seen.add(key)
        true_positives += truth[a] == truth[b]
    if sources is None:
        true_pairs = sum(_pair_count(n) for n in Counter(truth.values()).values())
    else:
        _check_known(truth, sources, "records of the truth have no source")
        true_pairs = _pairs_in_groups(Counter((e, sources[r]) for r, e in truth.items()), True)
    return PairMetrics(true_positives=true_positives, predicted_pairs=len(seen), true_pairs=true_pairs)
