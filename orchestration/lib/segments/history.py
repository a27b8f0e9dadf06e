"""Segment membership per run and the history of who entered and left each segment.

- `segments.segment_membership` (segment, person_id, as_of, run_id, rule_version): the members of a
  segment at an `as_of`; re-running the same `as_of` replaces that set (nothing is duplicated).
- `segments.segment_history` (segment, person_id, entered_at, exited_at, entered_run_id,
  exited_run_id, rule_version): one row per stay in a segment. "Which segments was this person in
  on date X": `entered_at <= X and (exited_at is null or exited_at > X)`.
- History moves forward only: a run at the latest `as_of` of a segment (or later) updates it; a
  run at the same `as_of` first undoes what that `as_of` did, so a re-run changes nothing and a
  re-run after an upstream fix is exact; a run at an earlier `as_of` (a backfill) records its
  membership but leaves the history alone.
- A segment's membership and history are written in one transaction: a run killed while recording leaves
  both as they were or both as new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from orchestration.lib.core import failpoint, to_utc, transaction

DDL = [
    "create schema if not exists segments",
    """create table if not exists segments.segment_membership (
        segment varchar, person_id varchar, as_of timestamp, run_id varchar, rule_version varchar)""",
    """create table if not exists segments.segment_history (
        segment varchar, person_id varchar, entered_at timestamp, exited_at timestamp,
        entered_run_id varchar, exited_run_id varchar, rule_version varchar)""",
]


@dataclass
class MembershipChange:
    total: int
    previous_total: int | None     # members at the previous as_of of this segment (None: first run)
    entered: int
    exited: int
    history_updated: bool


def record(con: duckdb.DuckDBPyConnection, segment: str, members: list[str], as_of: datetime, run_id: str,
           rule_version: str) -> MembershipChange:
    """Store `members` of `segment` at `as_of` and move its history forward, in one transaction (the caller's,
    when one is open)."""
    frame = pd.DataFrame({"person_id": pd.Series(sorted(set(members)), dtype="object")})
    con.register("current_members", frame)
    try:
        with transaction(con):
            return _record(con, segment, frame, to_utc(as_of), run_id, rule_version)
    finally:
        con.unregister("current_members")


def _record(con: duckdb.DuckDBPyConnection, segment: str, frame: pd.DataFrame, as_of: datetime, run_id: str,
            rule_version: str) -> MembershipChange:
    for ddl in DDL:
        con.execute(ddl)
    params = {"segment": segment, "as_of": as_of}
    previous = con.execute("""
        select count(*) from segments.segment_membership
        where segment = $segment and as_of = (
            select max(as_of) from segments.segment_membership where segment = $segment and as_of < $as_of)""",
                           params).fetchall()[0][0]
    had_previous = con.execute("select count(*) > 0 from segments.segment_membership "
                               "where segment = $segment and as_of < $as_of", params).fetchall()[0][0]
    # a re-run of an as_of keeps the run id that first recorded it: same inputs, same rows
    first_run = con.execute("select min(run_id) from segments.segment_membership where segment = $segment "
                            "and as_of = $as_of", params).fetchall()[0][0]
    run_id = first_run or run_id
    con.execute("delete from segments.segment_membership where segment = $segment and as_of = $as_of", params)
    con.execute("""insert into segments.segment_membership
                   select $segment, person_id, $as_of, $run, $version from current_members""",
                {**params, "run": run_id, "version": rule_version})
    failpoint("segments.history")
    latest = con.execute("select max(greatest(entered_at, coalesce(exited_at, entered_at))) "
                         "from segments.segment_history where segment = $segment", {"segment": segment}
                         ).fetchall()[0][0]
    entered = exited = 0
    updated = latest is None or latest <= as_of
    if updated:
        # undo what this as_of did before (a re-run), then apply the difference to the open stays
        con.execute("delete from segments.segment_history where segment = $segment and entered_at = $as_of",
                    params)
        con.execute("""update segments.segment_history set exited_at = null, exited_run_id = null
                       where segment = $segment and exited_at = $as_of""", params)
        exited = con.execute("""
            update segments.segment_history set exited_at = $as_of, exited_run_id = $run
            where segment = $segment and exited_at is null
              and person_id not in (select person_id from current_members)""",
                             {**params, "run": run_id}).fetchall()[0][0]
        entered = con.execute("""
            insert into segments.segment_history
            select $segment, c.person_id, $as_of, null, $run, null, $version
            from current_members c
            where c.person_id not in (select person_id from segments.segment_history
                                      where segment = $segment and exited_at is null)""",
                              {**params, "run": run_id, "version": rule_version}).fetchall()[0][0]
    return MembershipChange(total=len(frame), previous_total=previous if had_previous else None,
                            entered=int(entered), exited=int(exited), history_updated=updated)
