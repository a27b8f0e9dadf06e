"""The human side of identity resolution: review queue, reviewer decisions, the merge ledger.

- **Review queue**: pairs between the review and auto-merge thresholds (and exact-key pairs the
  rest of the evidence contradicts, and links refused by the cluster size cap), both records side
  by side, in `identity.review_queue` and `REVIEW/queue.csv` (with an empty `decision` column).
- **Decisions**: fill `decision` with `merge` or `separate` in queue.csv (or write rows
  `left_id,right_id,decision[,reviewer,note]` to `REVIEW/decisions.csv`). The next run stores them
  in `identity.review_decisions` (kept for good, the latest per pair wins) and applies them: a
  `separate` splits a cluster that an automatic link had built; a decided pair is never asked again.
- **Merge ledger** (`identity.merge_ledger`): append-only; every pair whose decision is not a plain
  "separate", each time its decision or probability changes, with the evidence (levels and
  similarities per field), the rule, the run id and `as_of`. Re-running on the same inputs adds nothing.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from orchestration.lib.core import atomic_path, sql_literal
from orchestration.lib.identity.clustering import ClusterResult
from orchestration.lib.identity.matching import (
    DECISIONS,
    REVIEW_MERGE,
    REVIEW_SEPARATE,
    MatchInputError,
)

QUEUE_DECISIONS = ("review", "refused_size_cap")
SIDE_BY_SIDE = ("email", "email_status", "first_name", "last_name", "phone_e164", "gender", "birth_date",
                "city", "postal_code", "country", "email_opt_in", "created_at", "updated_at", "source_file",
                "line_no")


def read_decision_file(path: Path) -> pd.DataFrame:
    """Filled-in decisions of a CSV (left_id, right_id, decision = merge | separate[, reviewer, note]);
    rows without a decision are skipped; a missing file has none. Pairs come ordered (left < right)."""
    if not path.is_file():
        return pd.DataFrame(columns=["left_id", "right_id", "decision", "reviewer", "note"])
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"left_id", "right_id", "decision"} - set(df.columns)
    if missing:
        raise MatchInputError(f"{path}: review decisions need columns left_id, right_id, decision; "
                              f"missing {sorted(missing)}")
    df = df[df["decision"].str.strip() != ""].copy()
    df["decision"] = df["decision"].str.strip().str.lower()
    bad = df[~df["decision"].isin(DECISIONS)]
    if len(bad):
        line = int(bad.index[0]) + 2
        raise MatchInputError(f"{path}: line {line}: decision {bad['decision'].iloc[0]!r}; "
                              "expected merge or separate")
    for col in ("reviewer", "note"):
        if col not in df.columns:
            df[col] = ""
    a, b = df["left_id"].str.strip(), df["right_id"].str.strip()
    df["left_id"], df["right_id"] = a.where(a <= b, b), b.where(a <= b, a)
    df["source_file"] = str(path)
    return df[["left_id", "right_id", "decision", "reviewer", "note", "source_file"]]


def collect_decisions(con: duckdb.DuckDBPyConnection, review_dir: Path, run_id: str, as_of: str
                      ) -> list[tuple[str, str, str]]:
    """Store new decisions from decisions.csv and a filled queue.csv; return all stored (latest wins)."""
    con.execute("""create table if not exists identity.review_decisions (
        left_id varchar, right_id varchar, decision varchar, reviewer varchar, note varchar,
        source_file varchar, recorded_run_id varchar, recorded_as_of varchar, seq bigint)""")
    new = pd.concat([read_decision_file(review_dir / "decisions.csv"),
                     read_decision_file(review_dir / "queue.csv")], ignore_index=True)
    if len(new):
        new = new.drop_duplicates(["left_id", "right_id"], keep="last")
        con.register("new_decisions", new)
        con.execute("""
            insert into identity.review_decisions
            select n.left_id, n.right_id, n.decision, n.reviewer, n.note, n.source_file, $run, $as_of,
                   coalesce((select max(seq) from identity.review_decisions), 0) + row_number() over ()
            from new_decisions n
            left join (select * from identity.review_decisions
                       qualify row_number() over (partition by left_id, right_id order by seq desc) = 1) d
              on d.left_id = n.left_id and d.right_id = n.right_id
            where d.decision is distinct from n.decision""", {"run": run_id, "as_of": as_of})
        con.unregister("new_decisions")
    return [tuple(r) for r in con.execute("""
        select left_id, right_id, decision from identity.review_decisions
        qualify row_number() over (partition by left_id, right_id order by seq desc) = 1
        order by left_id, right_id""").fetchall()]


def contact_links(ids: np.ndarray, clusters: ClusterResult, i: np.ndarray, j: np.ndarray, rule: np.ndarray,
                  decision: np.ndarray) -> pd.DataFrame:
    """contact_id -> the strongest link that put it in its cluster (rule, probability)."""
    if not clusters.used:
        return pd.DataFrame(columns=["contact_id", "linked_by", "probability"])
    n = len(ids)
    reviewed = np.isin(decision, (REVIEW_MERGE, REVIEW_SEPARATE))
    rule_of = dict(zip((i * n + j).tolist(), np.where(reviewed, "review", rule).tolist()))
    used = pd.DataFrame(clusters.used, columns=["a", "b", "probability"])
    used["rule"] = [rule_of.get(a * n + b, "review") for a, b in zip(used["a"], used["b"])]
    both = pd.concat([pd.DataFrame({"contact_id": ids[used["a"]], "linked_by": used["rule"],
                                    "probability": used["probability"]}),
                      pd.DataFrame({"contact_id": ids[used["b"]], "linked_by": used["rule"],
                                    "probability": used["probability"]})])
    best = both.sort_values(["contact_id", "probability"], ascending=[True, False], kind="stable")
    return best.drop_duplicates("contact_id").reset_index(drop=True)


def _evidence_fields(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    cols = [r[0] for r in con.execute(f"describe {relation}").fetchall()]
    return sorted(c[:-len("_level")] for c in cols if c.endswith("_level"))


def append_ledger(con: duckdb.DuckDBPyConnection, decided: str, run_id: str, as_of: str) -> int:
    """Append pairs of relation `decided` whose decision or probability changed since their last ledger
    entry (a plain "separate" is recorded only for a pair the ledger already knows); return how many."""
    con.execute("""create table if not exists identity.merge_ledger (
        seq bigint, run_id varchar, as_of varchar, left_id varchar, right_id varchar, decision varchar,
        rule varchar, probability double, match_weight double, evidence json)""")
    fields = _evidence_fields(con, decided)
    evidence = ", ".join(f"{f} := {{'level': {f}_level, 'similarity': round({f}_similarity, 4)}}" for f in fields)
    before = con.execute("select count(*) from identity.merge_ledger").fetchall()[0][0]
    con.execute(f"""
        insert into identity.merge_ledger
        with latest as (
            select * from identity.merge_ledger
            qualify row_number() over (partition by left_id, right_id order by seq desc) = 1
        ),
        changed as (
            select p.*
            from {decided} p
            left join latest l on l.left_id = p.left_id and l.right_id = p.right_id
            where (p.decision <> 'separate' or l.left_id is not null)
              and (l.left_id is null or l.decision is distinct from p.decision
                   or round(l.probability, 4) is distinct from round(p.probability, 4))
        )
        select coalesce((select max(seq) from identity.merge_ledger), 0)
                   + row_number() over (order by left_id, right_id),
               $run, $as_of, left_id, right_id, decision, rule, probability, match_weight,
               {f"to_json(struct_pack({evidence}))" if fields else "null"}
        from changed""", {"run": run_id, "as_of": as_of})
    return con.execute("select count(*) from identity.merge_ledger").fetchall()[0][0] - before


def write_queue(con: duckdb.DuckDBPyConnection, decided: str) -> int:
    """identity.review_queue: undecided doubtful pairs, both records side by side; returns how many."""
    cols = ", ".join(f"l.{c} as left_{c}, r.{c} as right_{c}" for c in SIDE_BY_SIDE)
    reasons = ", ".join(f"'{d}'" for d in QUEUE_DECISIONS)
    con.execute(f"""
        create or replace table identity.review_queue as
        select q.left_id, q.right_id, round(q.probability, 4) as probability, q.rule, q.decision as reason, {cols},
               '' as decision
        from {decided} q
        join identity.contacts_normalized l on l.contact_id = q.left_id
        join identity.contacts_normalized r on r.contact_id = q.right_id
        where q.decision in ({reasons})
        order by q.probability desc, q.left_id, q.right_id""")
    return con.execute("select count(*) from identity.review_queue").fetchall()[0][0]


def export_queue(con: duckdb.DuckDBPyConnection, review_dir: Path) -> Path:
    """REVIEW/queue.csv from identity.review_queue, whole or not at all (a temporary file, then a rename).

    Written once the queue's transaction has committed, never before: queue.csv is also where a reviewer
    fills in decisions, which the run that stores them must not overwrite unless they are stored."""
    review_dir.mkdir(parents=True, exist_ok=True)
    path = review_dir / "queue.csv"
    with atomic_path(path) as tmp:
        con.execute(f"copy identity.review_queue to {sql_literal(tmp)} (header, delimiter ',')")
    return path
