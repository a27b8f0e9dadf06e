"""Weighted random choice from a fixed table, drawn with a ``random.Random``."""

from __future__ import annotations

import random
from bisect import bisect_right


class WeightedTable:
    """A weighted choice table built from ((value, weight), ...)."""

    __slots__ = ("values", "cumulative", "total")

    def __init__(self, items):
        self.values = [v for v, _ in items]
        acc, self.cumulative = 0.0, []
        for _, w in items:
            acc += w
            self.cumulative.append(acc)
        self.total = acc


def weighted_choice(rand: random.Random, table: WeightedTable):
    """One value of `table`, drawn with a single ``rand.random()``."""
    return table.values[min(len(table.values) - 1, bisect_right(table.cumulative, rand.random() * table.total))]
