"""benchmarks/linkage_metrics.py: pairwise precision / recall / F1, numbers worked out by hand."""

from __future__ import annotations

import itertools
import random

import pytest

from benchmarks.linkage_metrics import (
    PairMetrics,
    metrics_from_clusters,
    metrics_from_pairs,
)

# Truth used by most cases: entity E1 = {a, b, c}, E2 = {d, e}, E3 = {f}.
# True pairs: C(3,2) + C(2,2) + C(1,2) = 3 + 1 + 0 = 4  (ab, ac, bc, de).
TRUTH = {"a": "E1", "b": "E1", "c": "E1", "d": "E2", "e": "E2", "f": "E3"}


def close(m: PairMetrics, tp: int, pred: int, true: int, p: float, r: float, f1: float) -> None:
    assert (m.true_positives, m.predicted_pairs, m.true_pairs) == (tp, pred, true)
    assert m.precision == pytest.approx(p)
    assert m.recall == pytest.approx(r)
    assert m.f1 == pytest.approx(f1)


def test_clusters_mixed():
    # clusters X = {a, b}, Y = {c, d}, Z = {e, f}: predicted pairs ab, cd, ef = 3; only ab is true.
    # P = 1/3, R = 1/4, F1 = 2 * (1/3 * 1/4) / (1/3 + 1/4) = (1/6) / (7/12) = 2/7
    pred = {"a": "X", "b": "X", "c": "Y", "d": "Y", "e": "Z", "f": "Z"}
    m = metrics_from_clusters(pred, TRUTH)
    close(m, 1, 3, 4, 1 / 3, 1 / 4, 2 / 7)
    assert (m.false_positives, m.false_negatives) == (2, 3)


def test_clusters_perfect_and_cluster_ids_are_opaque():
    # the same partition under other names: 4 of 4 pairs, nothing extra
    pred = {"a": 7, "b": 7, "c": 7, "d": "x", "e": "x", "f": None}
    close(metrics_from_clusters(pred, TRUTH), 4, 4, 4, 1.0, 1.0, 1.0)


def test_clusters_everything_merged():
    # one cluster of 6: C(6,2) = 15 predicted pairs, all 4 true pairs inside.
    # P = 4/15, R = 1, F1 = 2 * (4/15) / (4/15 + 1) = (8/15) / (19/15) = 8/19
    pred = dict.fromkeys(TRUTH, "all")
    close(metrics_from_clusters(pred, TRUTH), 4, 15, 4, 4 / 15, 1.0, 8 / 19)


def test_clusters_all_singletons_and_missing_records_are_singletons():
    # nothing linked: no predicted pairs -> precision 1 by convention, recall 0, F1 0
    close(metrics_from_clusters({r: r for r in TRUTH}, TRUTH), 0, 0, 4, 1.0, 0.0, 0.0)
    close(metrics_from_clusters({}, TRUTH), 0, 0, 4, 1.0, 0.0, 0.0)
    # only {a, b, c} -> X given; d, e, f are left out, so singletons: 3 predicted, 3 true
    # P = 3/3, R = 3/4, F1 = 2 * 0.75 / 1.75 = 6/7
    close(metrics_from_clusters({"a": "X", "b": "X", "c": "X"}, TRUTH), 3, 3, 4, 1.0, 0.75, 6 / 7)


def test_same_cluster_id_in_missing_and_given_records_does_not_collide():
    # a missing record is its own singleton even if some cluster is named like its record id
    close(metrics_from_clusters({"a": "d", "b": "d"}, TRUTH), 1, 1, 4, 1.0, 0.25, 0.4)


def test_unknown_ids_are_errors():
    with pytest.raises(ValueError, match="not in the truth"):
        metrics_from_clusters({"a": 1, "zz": 1}, TRUTH)
    with pytest.raises(ValueError, match="not in the truth"):
        metrics_from_pairs([("a", "zz")], TRUTH)


# Linkage of two files: a1 a2 a3 from source A, b1 b2 b3 from B; entity k = {ak, bk}.
LINK_TRUTH = {"a1": 1, "b1": 1, "a2": 2, "b2": 2, "a3": 3, "b3": 3}
LINK_SOURCES = {r: r[0] for r in LINK_TRUTH}


def test_clusters_across_sources():
    # X = {a1, b1, a2}, Y = {b2}, Z = {a3, b3}
    # cross pairs predicted: a1-b1, a2-b1 (a1-a2 is inside A: not scored), a3-b3 = 3; true ones a1-b1, a3-b3
    # P = 2/3, R = 2/3, F1 = 2/3
    pred = {"a1": "X", "b1": "X", "a2": "X", "b2": "Y", "a3": "Z", "b3": "Z"}
    close(metrics_from_clusters(pred, LINK_TRUTH, LINK_SOURCES), 2, 3, 3, 2 / 3, 2 / 3, 2 / 3)
    # without sources a1-a2 counts as a false positive: 4 predicted, 2 true positives, 3 true
    # P = 1/2, R = 2/3, F1 = 2 * (1/3) / (7/6) = 4/7
    close(metrics_from_clusters(pred, LINK_TRUTH), 2, 4, 3, 0.5, 2 / 3, 4 / 7)


def test_cross_source_true_pairs_inside_one_entity():
    # entity 1 = {a1, a1x (both A), b1}: cross true pairs C(3,2) - C(2,2) = 2 (a1-b1, a1x-b1)
    truth = {"a1": 1, "a1x": 1, "b1": 1}
    sources = {"a1": "A", "a1x": "A", "b1": "B"}
    # one cluster of all three: cross predicted 2, both true -> P = R = 1
    close(metrics_from_clusters(dict.fromkeys(truth, 0), truth, sources), 2, 2, 2, 1.0, 1.0, 1.0)
    # a1 and b1 only: 1 of 2
    close(metrics_from_clusters({"a1": 0, "b1": 0}, truth, sources), 1, 1, 2, 1.0, 0.5, 2 / 3)


def test_pairs_dedup_order_and_self_pairs():
    # ab, ba (same pair again), aa (self), cd -> unique predicted pairs ab, cd = 2; ab true
    # P = 1/2, R = 1/4, F1 = 2 * (1/8) / (3/4) = 1/3
    m = metrics_from_pairs([("a", "b"), ("b", "a"), ("a", "a"), ("c", "d")], TRUTH)
    close(m, 1, 2, 4, 0.5, 0.25, 1 / 3)
    close(metrics_from_pairs([], TRUTH), 0, 0, 4, 1.0, 0.0, 0.0)


def test_pairs_across_sources():
    # a1-b1 true, a2-b3 false, a1-a2 inside A (dropped, not scored); 3 true cross pairs
    # P = 1/2, R = 1/3, F1 = 2 * (1/6) / (5/6) = 2/5
    m = metrics_from_pairs([("a1", "b1"), ("b3", "a2"), ("a1", "a2")], LINK_TRUTH, LINK_SOURCES)
    close(m, 1, 2, 3, 0.5, 1 / 3, 0.4)


def test_clusters_agree_with_brute_force_pair_enumeration():
    rng = random.Random(7)
    for _ in range(30):
        n = rng.randint(1, 40)
        truth = {i: rng.randint(0, n // 3) for i in range(n)}
        pred = {i: rng.randint(0, n // 2) for i in range(n) if rng.random() < 0.9}
        sources = {i: rng.choice("ab") for i in range(n)}
        for src in (None, sources):
            pairs = [(x, y) for x, y in itertools.combinations(range(n), 2)
                     if x in pred and y in pred and pred[x] == pred[y]]
            assert metrics_from_clusters(pred, truth, src) == metrics_from_pairs(pairs, truth, src)
            true = sum(1 for x, y in itertools.combinations(range(n), 2)
                       if truth[x] == truth[y] and (src is None or src[x] != src[y]))
            assert metrics_from_pairs(pairs, truth, src).true_pairs == true
