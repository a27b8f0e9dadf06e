"""Segment membership and history: entered / exited across runs, idempotent re-runs, backfills."""

from datetime import datetime

import duckdb
import pytest

from orchestration.lib.segments.history import record

OCT1, OCT2, OCT3 = datetime(2026, 10, 1), datetime(2026, 10, 2), datetime(2026, 10, 3)


@pytest.fixture
def con():
    return duckdb.connect()


def history(con):
    return con.execute("select person_id, entered_at, exited_at, entered_run_id, exited_run_id "
                       "from segments.segment_history order by all").fetchall()


def test_history_records_entered_and_exited_across_two_runs(con):
    first = record(con, "s", ["ann", "bob"], OCT1, "run-1", "v1")
    second = record(con, "s", ["bob", "cid"], OCT2, "run-2", "v1")
    assert (first.entered, first.exited, first.previous_total) == (2, 0, None)
    assert (second.entered, second.exited, second.previous_total) == (1, 1, 2)
    assert history(con) == [("ann", OCT1, OCT2, "run-1", "run-2"), ("bob", OCT1, None, "run-1", None),
                            ("cid", OCT2, None, "run-2", None)]
    # who was in the segment on a given day
    on = con.execute("select person_id from segments.segment_history where entered_at <= ? and "
                     "(exited_at is null or exited_at > ?) order by 1", [OCT1, OCT1]).fetchall()
    assert on == [("ann",), ("bob",)]


def test_rerun_of_the_same_as_of_changes_no_row(con):
    record(con, "s", ["ann", "bob"], OCT1, "run-1", "v1")
    record(con, "s", ["bob", "cid"], OCT2, "run-2", "v1")
    before = (history(con), con.execute("select * from segments.segment_membership order by all").fetchall())
    record(con, "s", ["bob", "cid"], OCT2, "run-2-again", "v1")
    assert (history(con), con.execute("select * from segments.segment_membership order by all").fetchall()) == before


def test_rerun_after_an_upstream_fix_replaces_what_that_as_of_did(con):
    record(con, "s", ["ann"], OCT1, "run-1", "v1")
    record(con, "s", ["bob"], OCT2, "run-2", "v1")          # wrong: ann should have stayed
    record(con, "s", ["ann", "bob"], OCT2, "run-2-fixed", "v1")
    assert history(con) == [("ann", OCT1, None, "run-1", None), ("bob", OCT2, None, "run-2", None)]


def test_backfill_of_an_earlier_as_of_keeps_history(con):
    record(con, "s", ["ann"], OCT1, "run-1", "v1")
    record(con, "s", ["bob"], OCT3, "run-3", "v1")
    kept = history(con)
    change = record(con, "s", ["cid"], OCT2, "backfill", "v1")
    assert change.history_updated is False and history(con) == kept
    assert con.execute("select person_id from segments.segment_membership where as_of = ?", [OCT2]).fetchall() \
        == [("cid",)]


def test_segments_are_independent(con):
    record(con, "a", ["ann"], OCT1, "r", "v1")
    record(con, "b", ["bob"], OCT1, "r", "v1")
    record(con, "a", [], OCT2, "r2", "v1")
    assert con.execute("select segment, person_id, exited_at from segments.segment_history order by 1").fetchall() \
        == [("a", "ann", OCT2), ("b", "bob", None)]
