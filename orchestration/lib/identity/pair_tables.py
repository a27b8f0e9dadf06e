"""Scored pairs as DuckDB relations: millions of pairs stay numbers until SQL joins the ids on.

Building Python strings for every candidate pair costs gigabytes at a million records; instead the
pairs travel as arrays, are registered with DuckDB, and get their ids (and decision names) in SQL.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from orchestration.lib.identity.matching import (
    DECISION_NAMES,
    REVIEW_MERGE,
    REVIEW_SEPARATE,
    ScoredPairs,
)


def register_ids(con: duckdb.DuckDBPyConnection, ids: np.ndarray, name: str = "record_ids") -> None:
    con.register(name, pd.DataFrame({"idx": np.arange(len(ids), dtype=np.int64), "id": ids}))


def register_scored(con: duckdb.DuckDBPyConnection, scored: ScoredPairs, decision: np.ndarray | None = None,
                    reviewed_only: list[tuple[int, int, str]] = (), name: str = "scored_pairs") -> None:
    """A view `name`: left_id, right_id, probability, match_weight, rule, <comparison>_level/_similarity
    [, decision] over the arrays of `scored` (and the reviewer-only pairs, with no evidence)."""
    frame = scored.numeric_frame()
    if decision is not None:
        frame["decision"] = decision
    con.register(f"{name}_numbers", frame)
    register_ids(con, scored.ids, f"{name}_ids")
    evidence = [c for c in frame.columns if c.endswith("_level") or c.endswith("_similarity")]
    names = ", ".join(f"'{d}'" for d in DECISION_NAMES)
    decided = (f", case when p.decision in ({REVIEW_MERGE}, {REVIEW_SEPARATE}) then 'review' "
               f"else cast(p.rule as varchar) end as rule, list_extract([{names}], p.decision + 1) as decision"
               if decision is not None else ", cast(p.rule as varchar) as rule")
    sql = f"""
        select l.id as left_id, r.id as right_id, p.probability, p.match_weight {decided},
               {', '.join(f'p.{c}' for c in evidence)}
        from {name}_numbers p
        join {name}_ids l on l.idx = p.i
        join {name}_ids r on r.idx = p.j"""
    if decision is not None and reviewed_only:
        extra = pd.DataFrame({"left_id": [scored.ids[a] for a, _, _ in reviewed_only],
                              "right_id": [scored.ids[b] for _, b, _ in reviewed_only],
                              "decision": [f"review_{d}" for _, _, d in reviewed_only]})
        con.register(f"{name}_reviewed_only", extra)
        nulls = ", ".join(f"null as {c}" for c in evidence)
        sql += f"""
        union all by name
        select left_id, right_id, null::double as probability, null::double as match_weight, 'review' as rule,
               decision, {nulls}
        from {name}_reviewed_only"""
    con.execute(f"create or replace temp view {name} as {sql}")
