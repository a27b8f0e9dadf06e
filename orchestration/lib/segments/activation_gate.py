"""The frame of a segment's activation gate: one row for the segment's run at `as_of`, read from the membership
history (segments.segment_membership) and the segment relations (segments.seg_profiles).

It is not a dbt view as the other gates' frames are (dbt_project/models/gates/): segment_membership is written by
the segment assets, after the last dbt step, and the frame depends on the segment, the run's as_of and the
activation settings. Every derived column is true or false, never NULL:
  size_change_within_limit  no previous run, or both sizes below `min_members`, or the size changed by at most
                            `max_change` (a fraction) of the previous run's
  nonempty_if_expected      not `expect_nonempty`, or at least one member
  no_suppressed_reachable   no member both suppressed and counted reachable
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

ACTIVATION_GATE_SQL = """
with runs as (
    select as_of, count(*) as members from segments.segment_membership where segment = $segment group by as_of
),
current as (select members from runs where as_of = $as_of),
previous as (select members from runs where as_of < $as_of order by as_of desc limit 1),
reach as (
    select count(*) filter (where p.is_reachable) as reachable,
           count(*) filter (where p.is_reachable and p.is_suppressed) as suppressed_reachable
    from segments.segment_membership m join segments.seg_profiles p using (person_id)
    where m.segment = $segment and m.as_of = $as_of
)
select
    $segment as segment,
    coalesce((select members from current), 0) as members,
    (select members from previous) as previous_members,
    coalesce((select members from previous) is null
             or greatest(coalesce((select members from current), 0), (select members from previous))
                < $min_members
             or abs(coalesce((select members from current), 0) - (select members from previous))
                <= $max_change * (select members from previous), false) as size_change_within_limit,
    coalesce(not $expect_nonempty or coalesce((select members from current), 0) > 0, false) as nonempty_if_expected,
    (select suppressed_reachable from reach) = 0 as no_suppressed_reachable
"""


def activation_gate_frame(con: duckdb.DuckDBPyConnection, segment: str, as_of: datetime, *, max_change: float,
                          min_members: int, expect_nonempty: bool) -> pd.DataFrame:
    """The one-row frame the GE suite segment__activation validates, for `segment` at `as_of` (naive UTC)."""
    return con.execute(ACTIVATION_GATE_SQL, {"segment": segment, "as_of": as_of, "max_change": max_change,
                                             "min_members": min_members, "expect_nonempty": expect_nonempty}).df()
