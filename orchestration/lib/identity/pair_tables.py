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
    SEPARATE,
    Resolution,
    ScoredPairs,
)


def register_ids(con: duckdb.DuckDBPyConnection, ids: np.ndarray, name: str = "record_ids") -> None:
    con.register(name, pd.DataFrame({"idx": np.arange(len(ids), dtype=np.int64), "id": ids}))


def register_scored(con: duckdb.DuckDBPyConnection, scored: ScoredPairs, resolution: Resolution | None = None,
                    name: str = "scored_pairs") -> None:
    """A view `name`: left_id, right_id, probability, match_weight, rule, <comparison>_level/_similarity
    over the arrays of `scored`; with a `resolution`, also each pair's decision (and the reviewer-only
    pairs, with no evidence)."""
    decision = resolution.decision if resolution is not None else None
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
    if resolution is not None and resolution.reviewed_only:
        con.register(f"{name}_reviewed_only", resolution.reviewed_only_frame(scored.ids))
        nulls = ", ".join(f"null as {c}" for c in evidence)
        sql += f"""
        union all by name
        select left_id, right_id, null::double as probability, null::double as match_weight, 'review' as rule,
               decision, {nulls}
        from {name}_reviewed_only"""
    con.execute(f"create or replace temp view {name} as {sql}")


def pair_indices(con: duckdb.DuckDBPyConnection, pairs_table: str, ids: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, probability, rule) of the pairs in `pairs_table` (left_id, right_id, probability, rule), i and j
    indices into `ids`."""
    register_ids(con, ids, "record_ids")
    pairs = con.execute(f"""
        select l.idx as i, r.idx as j, p.probability, p.rule
        from {pairs_table} p
        join record_ids l on l.id = p.left_id
        join record_ids r on r.id = p.right_id""").fetchnumpy()
    return (pairs["i"].astype(np.int64), pairs["j"].astype(np.int64), pairs["probability"].astype(np.float64),
            np.asarray(pairs["rule"], dtype=object))


def register_decided_pairs(con: duckdb.DuckDBPyConnection, pairs_table: str, ids: np.ndarray, i: np.ndarray,
                           j: np.ndarray, resolution: Resolution, name: str = "decided_pairs") -> None:
    """A view `name`: the rows of `pairs_table` (left_id, right_id, rule, evidence) with each pair's decision
    (rule `review` when a reviewer decided it), and the reviewer pairs blocking never proposed."""
    decided_rows = np.flatnonzero(resolution.decision != SEPARATE)
    con.register(f"{name}_decisions", pd.DataFrame({
        "left_id": ids[i[decided_rows]], "right_id": ids[j[decided_rows]],
        "decision": np.array(DECISION_NAMES, dtype=object)[resolution.decision[decided_rows]]}))
    con.register(f"{name}_reviewed_only", resolution.reviewed_only_frame(ids))
    con.execute(f"""
        create or replace temp view {name} as
        select p.* exclude (rule),
               case when d.decision in ('review_merge', 'review_separate') then 'review'
                    else p.rule end as rule,
               coalesce(d.decision, 'separate') as decision
        from {pairs_table} p
        left join {name}_decisions d using (left_id, right_id)
        union all by name
        select left_id, right_id, 'review' as rule, decision from {name}_reviewed_only""")
