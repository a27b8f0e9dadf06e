"""Previews default to the instant the warehouse's latest run used, not the wall clock."""

from datetime import datetime, timezone

import duckdb

from orchestration.lib.segments import latest_run_as_of


def test_latest_run_as_of_is_the_newest_evaluation():
    with duckdb.connect() as con:
        assert latest_run_as_of(con) is None                     # a warehouse without any run
        con.execute("create schema segments; create table segments.segment_membership "
                    "(segment varchar, person_id varchar, as_of timestamp)")
        assert latest_run_as_of(con) is None
        con.execute("insert into segments.segment_membership values ('a', 'p1', '2026-10-01 00:00:00'), "
                    "('a', 'p1', '2026-11-01 00:00:00'), ('b', 'p2', '2026-10-15 00:00:00')")
        assert latest_run_as_of(con) == datetime(2026, 11, 1, tzinfo=timezone.utc)
