"""Calibrated confidence for inferred attributes: what a confidence of 0.8 claims (right 80 % of the time),
made true on held-out data. Pure library (numpy, pandas, scipy; no Dagster), used by inference.py.

* ``cross_validation_folds`` / ``cross_validated_proba``: out-of-fold class probabilities of the train
  split (stratified folds dealt by a hash of person_id + seed; at most ``at_most`` persons).
* ``TopLabelCalibrator``: P(the top class is right) from the model's top probability (Platt scaling on
  its logit), fit on those out-of-fold predictions.
* ``reliability``: expected calibration error and the 10-bin table the reports carry.

Why this calibration, measured (G and S: the worlds of inference.py's docstring; M: the ``make run``
sample, 2,000 contacts over 30 days, 59 features, ~1,200 training persons; O: the overfit world of
``tests/enrichment/test_inference.py``, 4 age bands, 3 informative and 80 noise features, 1,500
declared persons, measured on 6,000 unseen persons; B: the benchmark world of
``benchmarks/enrichment.py``, 20,000 persons; G with today's generator: 4,512 and 4,517 declared
persons). Multinomial LR is well calibrated when it has many persons per feature (S, G, B), but not
on a shop's real size: on M it overfits and is overconfident, and its age_band model was worse than
chance yet wrote 68 values with mean confidence 0.82. Top-label Platt scaling on out-of-fold
predictions (chosen) against the raw top probability and the alternatives, on the holdout (O: on
the unseen persons); acc@0.7 = accuracy of the predictions at or above 0.7, n = how many:

  ======================  =============================  =============================  ==================
  world / attribute       raw top probability            calibrated (chosen)            alternatives, ECE
                          ECE, acc@0.7 (n)               ECE, acc@0.7 (n)
  ======================  =============================  =============================  ==================
  M gender                0.048, 0.85 (226 of 328)       0.045, 0.87 (206 of 328)       temperature 0.046
  M age_band (0.236 vs    0.146, 0.25 (12 of 275)        0.005, none reach 0.7; lift    isotonic 0.013,
    baseline 0.244)                                      -0.007: nothing applied        temperature 0.023
  S age_band              0.052, 0.84 (62 of 403)        0.032, 0.93 (42 of 403)        temperature 0.042,
                                                                                        CCV isotonic 0.074
  O age_band (unseen)     0.109, 0.73 (3,062 of 6,000)   0.032, 0.85 (1,295 of 6,000)   temperature 0.017
  B age_band              0.022, 0.85 (349 of 2,687)     0.016, 0.85 (327 of 2,687)     temperature 0.021,
                                                                                        CCV isotonic 0.112
  G gender / age_band     0.034 / 0.031 (seeds 7, 8)     0.033 / 0.015                  -
  ======================  =============================  =============================  ==================

The alternatives were fit on out-of-fold predictions of the train split too.  Isotonic regression on
the top probability steps (ties across 0.6-0.7) and reaches 1.0 on small data; temperature scaling
(one parameter on the whole distribution) is better on O and worse on M age_band, S and B; top-label
Platt scaling estimates exactly what the written confidence claims, with two parameters.  The
calibration is a little conservative on small data (O: predictions it gives 0.7-0.8, mean 0.75, are
right 80 % of the time; the fold models see 4/5 of the train split and are slightly weaker than the
applied model).  On G, age_band beats the baseline by 0.052 (seed 7) and 0.039 (seed 8, so nothing
applied): the generator's age signal is weak, and no calibrated age_band prediction reaches 0.7 on
either seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit

N_CALIBRATION_BINS = 10


@dataclass
class CalibrationBin:
    lower: float
    upper: float
    n: int
    mean_confidence: float | None
    accuracy: float | None


def cross_validation_folds(person_ids: np.ndarray, y: np.ndarray, folds: int, seed: int,
                           at_most: int) -> np.ndarray:
    """A cross-validation fold (0..folds-1) per person, or -1 for a person left out of the cross-validation
    (only when there are more than `at_most`). Stratified: within each class the persons, ordered by a hash
    of person_id + seed (as the holdout, another salt), are dealt to the folds in turn; with more than
    `at_most` persons, each class keeps its first ceil(at_most x its share) in that order."""
    keyed = pd.Series(person_ids, dtype=object).astype(str) + f"\x1e{int(seed)}"
    hashes = pd.util.hash_array(keyed.to_numpy(dtype=object), categorize=False)
    codes = pd.factorize(pd.Series(y, dtype=object), sort=True)[0]
    order = np.lexsort((hashes, codes))
    starts = np.searchsorted(codes[order], codes[order], side="left")
    position = np.arange(len(y)) - starts                  # rank of each person within their class
    fold = np.empty(len(y), dtype=np.int64)
    fold[order] = position % folds
    if len(y) > at_most:
        quota = np.ceil(np.bincount(codes) * (at_most / len(y))).astype(np.int64)
        left_out = np.empty(len(y), dtype=bool)
        left_out[order] = position >= quota[codes[order]]
        fold[left_out] = -1
    return fold


def class_proba(model, X: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """model.predict_proba(X) in the columns of `classes` (a class the model never saw gets 0)."""
    proba = np.zeros((len(X), len(classes)))
    proba[:, np.searchsorted(classes, model.classes_)] = model.predict_proba(X)
    return proba


def cross_validated_proba(X: np.ndarray, y: np.ndarray, persons: np.ndarray, classes: np.ndarray,
                          make_model: Callable[[], object], folds: int, seed: int,
                          at_most: int) -> tuple[np.ndarray, np.ndarray]:
    """(which persons of the train split are cross-validated, their out-of-fold class probabilities): each
    person's come from a model (`make_model()`, the same recipe as the applied one) fit on the other folds,
    i.e. on persons other than them. At most `at_most` persons take part (a stratified sample, by hash)."""
    fold = cross_validation_folds(persons, y, folds, seed, at_most)
    used = fold >= 0
    X, y, fold = X[used], y[used], fold[used]
    proba = np.zeros((len(y), len(classes)))
    for f in range(folds):
        test = fold == f
        fit_classes = np.unique(y[~test])
        if not test.any():
            continue
        if len(fit_classes) < 2:            # tiny data: the other folds hold one class only
            proba[np.ix_(test, np.searchsorted(classes, fit_classes))] = 1.0
            continue
        model = make_model().fit(X[~test], y[~test])
        proba[test] = class_proba(model, X[test], classes)
    return used, proba


class TopLabelCalibrator:
    """The confidence of a prediction: P(the model's top class is right) as a function of its top
    probability, by Platt scaling on logit(top) (two parameters, monotone, smooth; Platt's smoothed targets
    (n+1)/(n+2) and 1/(n+2) keep it off 0 and 1 on small or separable data). Fit on out-of-fold predictions,
    never on the persons it is judged on. A slope <= 0 (the top probability says nothing about being
    right) gives every prediction the out-of-fold accuracy."""

    def fit(self, top: np.ndarray, correct: np.ndarray) -> TopLabelCalibrator:
        z, right = self._logit(top), correct.astype(bool)
        n_right, n_wrong = int(right.sum()), int((~right).sum())
        self.constant_ = (n_right + 1) / (n_right + n_wrong + 2)
        self.ceiling_ = (n_right + 1) / (n_right + 2)
        self.slope_, self.intercept_ = 0.0, 0.0
        if n_right == 0 or n_wrong == 0:
            return self
        target = np.where(right, (n_right + 1) / (n_right + 2), 1 / (n_wrong + 2))

        def loss(w):
            s = w[0] * z + w[1]
            g = expit(s) - target
            return (float((target * np.logaddexp(0, -s) + (1 - target) * np.logaddexp(0, s)).sum()),
                    np.array([(g * z).sum(), g.sum()]))

        start = np.array([1.0, math.log((n_right + 1) / (n_wrong + 1)) - float(np.mean(z))])
        w = minimize(loss, start, jac=True, method="L-BFGS-B").x
        if w[0] > 0:
            self.slope_, self.intercept_ = float(w[0]), float(w[1])
        return self

    @staticmethod
    def _logit(top: np.ndarray) -> np.ndarray:
        p = np.clip(top, 1e-9, 1 - 1e-9)
        return np.log(p) - np.log1p(-p)

    def __call__(self, top: np.ndarray) -> np.ndarray:
        if self.slope_ <= 0:
            return np.full(len(top), self.constant_)
        # never surer than the smoothed target of a right prediction: an inferred value is never certain
        return np.minimum(expit(self.slope_ * self._logit(top) + self.intercept_), self.ceiling_)


def top_class(proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the top class, its probability) per row."""
    top_k = proba.argmax(axis=1)
    return top_k, proba[np.arange(len(proba)), top_k]


def reliability(top: np.ndarray, correct: np.ndarray) -> tuple[float, list[CalibrationBin]]:
    """(expected calibration error, bins) of confidences `top` against `correct`, over N_CALIBRATION_BINS
    equal-width bins."""
    edges = np.linspace(0.0, 1.0, N_CALIBRATION_BINS + 1)
    index = np.clip(np.searchsorted(edges, top, side="right") - 1, 0, N_CALIBRATION_BINS - 1)
    count = np.bincount(index, minlength=N_CALIBRATION_BINS)
    confidence_sum = np.bincount(index, weights=top, minlength=N_CALIBRATION_BINS)
    correct_sum = np.bincount(index, weights=correct.astype(float), minlength=N_CALIBRATION_BINS)
    bins, ece = [], 0.0
    for b in range(N_CALIBRATION_BINS):
        if count[b]:
            mean_confidence, accuracy = confidence_sum[b] / count[b], correct_sum[b] / count[b]
            ece += count[b] / len(top) * abs(mean_confidence - accuracy)
            bins.append(CalibrationBin(float(edges[b]), float(edges[b + 1]), int(count[b]),
                                       float(mean_confidence), float(accuracy)))
        else:
            bins.append(CalibrationBin(float(edges[b]), float(edges[b + 1]), 0, None, None))
    return float(ece), bins
