"""Clusters from accepted links: union-find, strongest link first, with safeguards.

- `forced` links (a reviewer said merge) are applied first;
- `links` are applied in the order given (the caller sorts them strongest first, ties by id), so
  the result does not depend on input order;
- a link is refused when its two clusters together would exceed `max_size` (reason `size_cap`),
  or when a `cannot_link` pair (a reviewer said separate) would end up in one cluster (reason
  `separate`). A refused link splits what a plain transitive closure would have merged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ClusterResult:
    labels: np.ndarray            # record index -> cluster index (0..n_clusters-1, by smallest member)
    representative: np.ndarray    # record index -> index of the smallest record of its cluster
    sizes: np.ndarray             # cluster index -> number of records
    weakest_link: np.ndarray      # cluster index -> lowest probability among the links that built it (nan: single)
    used: list[tuple[int, int, float]]      # links that joined two clusters (a spanning forest)
    refused: list[tuple[int, int, str]]     # links refused, with the reason


def cluster(n: int, links: list[tuple[int, int, float]], forced: list[tuple[int, int]] = (),
            cannot_link: list[tuple[int, int]] = (), max_size: int = 10) -> ClusterResult:
    parent = list(range(n))
    size = [1] * n
    weakest = [float("inf")] * n
    banned: dict[int, set[int]] = {}          # root -> records its cluster must never contain
    for a, b in cannot_link:
        banned.setdefault(a, set()).add(b)
        banned.setdefault(b, set()).add(a)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def conflicts(ra: int, rb: int) -> bool:
        sa, sb = banned.get(ra), banned.get(rb)
        if not sa or not sb:
            return bool(sa and any(find(x) == rb for x in sa)) or bool(sb and any(find(x) == ra for x in sb))
        small, other = (sa, rb) if len(sa) <= len(sb) else (sb, ra)
        return any(find(x) == other for x in small)

    used, refused = [], []
    steps = [(a, b, 1.0, True) for a, b in forced] + [(a, b, p, False) for a, b, p in links]
    for a, b, p, is_forced in steps:
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if conflicts(ra, rb):
            refused.append((a, b, "separate"))
            continue
        if size[ra] + size[rb] > max_size:
            refused.append((a, b, "size_cap"))
            continue
        if size[ra] < size[rb] or (size[ra] == size[rb] and ra > rb):
            ra, rb = rb, ra
        parent[rb] = ra
        size[ra] += size[rb]
        weakest[ra] = min(weakest[ra], weakest[rb], p)
        if rb in banned:
            banned.setdefault(ra, set()).update(banned.pop(rb))
        used.append((a, b, p))
    roots = np.fromiter((find(x) for x in range(n)), dtype=np.int64, count=n)
    # records are indexed in id order: a cluster's smallest index is its smallest id
    first = np.full(n, n, dtype=np.int64)
    np.minimum.at(first, roots, np.arange(n, dtype=np.int64))
    rep = first[roots]
    distinct, labels = np.unique(rep, return_inverse=True)
    sizes = np.bincount(labels, minlength=len(distinct))
    weak = np.array([weakest[find(int(r))] for r in distinct], dtype=np.float64)
    weak[~np.isfinite(weak)] = np.nan
    return ClusterResult(labels=labels, representative=rep, sizes=sizes, weakest_link=weak, used=used,
                         refused=refused)
