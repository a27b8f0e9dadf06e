"""stg_tracking__events is incremental: after each load (new days, late and redelivered events, a day with a new
file, a file rewritten, a day removed) the incremental build equals a full rebuild row for row, and holds the
first delivery of every messageId. Real ingest, real dbt builds (in this process) on a DuckDB file."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from orchestration.constants import DBT_PROJECT_DIR
from orchestration.lib.ingest import connect, load_received_days
from orchestration.resources import dbt_in_process
from tests.helpers.landing import Landing, event

pytestmark = pytest.mark.slow

MODEL = "staging.stg_tracking__events"


@pytest.fixture
def staging(tmp_path, monkeypatch):
    """build(warehouse, full_refresh=False): `dbt build` of stg_tracking__events on that file (named wh.duckdb:
    dbt-duckdb names the catalog after the file, and the project is parsed once for it)."""
    from dbt.cli.main import dbtRunner

    target = tmp_path / "target"
    monkeypatch.setenv("MICROSEG_WAREHOUSE", str(tmp_path / "wh.duckdb"))
    manifest = dbt_in_process.parsed_project(DBT_PROJECT_DIR, DBT_PROJECT_DIR, target)

    def build(warehouse, full_refresh: bool = False) -> None:
        monkeypatch.setenv("MICROSEG_WAREHOUSE", str(warehouse))
        args = ["build", "--select", "stg_tracking__events", *(["--full-refresh"] if full_refresh else []),
                *dbt_in_process._common_args(DBT_PROJECT_DIR, DBT_PROJECT_DIR, target)]
        result = dbtRunner(manifest=manifest).invoke(args)
        dbt_in_process.close_dbt_connections()
        assert result.success, result.exception or [r.message for r in result.result]

    return build


def ingest(landing: Landing, warehouse, days: list[str]) -> None:
    with connect(warehouse) as con:
        load_received_days(con, landing.root, days, tolerance_hours=24.0)


def staged(warehouse) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select * exclude (load_id) from {MODEL} order by message_id").fetchall()


def first_deliveries(warehouse) -> dict[str, tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {m: (str(d), f) for m, d, f in con.execute(
            f"select message_id, received_date, source_file from {MODEL}").fetchall()}


def assert_equals_full_rebuild(staging, warehouse, tmp_path) -> None:
    full = tmp_path / "full" / "wh.duckdb"
    full.parent.mkdir(exist_ok=True)
    shutil.copy(warehouse, full)
    staging(full, full_refresh=True)
    incremental, rebuilt = staged(warehouse), staged(full)
    assert len(incremental) == len(rebuilt)
    assert incremental == rebuilt
    full.unlink()


def test_incremental_builds_equal_full_rebuilds_through_additions_rewrites_and_removals(tmp_path, staging):
    landing, warehouse = Landing(tmp_path / "landing"), tmp_path / "wh.duckdb"
    landing.events("2026-10-01", [event("m1", "2026-10-01T08:00:00Z"), event("m2", "2026-10-01T09:00:00Z")],
                   name="a.jsonl")
    landing.events("2026-10-02", [event("m3", "2026-10-02T08:00:00Z"),
                                  event("m2", "2026-10-01T09:00:00Z"),             # redelivered
                                  event("m4", "2026-09-28T12:00:00Z")])            # late by 4 days
    ingest(landing, warehouse, ["2026-10-01", "2026-10-02"])
    staging(warehouse)                                   # the first build is a full one
    assert first_deliveries(warehouse) == {
        "m1": ("2026-10-01", "events/2026-10-01/a.jsonl"), "m2": ("2026-10-01", "events/2026-10-01/a.jsonl"),
        "m3": ("2026-10-02", "events/2026-10-02/events.jsonl"),
        "m4": ("2026-10-02", "events/2026-10-02/events.jsonl")}

    # a new day with a redelivery of an older event, and a new file in a loaded day
    landing.events("2026-10-03", [event("m5", "2026-10-03T08:00:00Z"), event("m3", "2026-10-02T08:00:00Z"),
                                  event("m1", "2026-10-01T08:00:00Z", user_id="u-late")])
    landing.events("2026-10-02", [event("m6", "2026-10-02T20:00:00Z")], name="b.jsonl")
    ingest(landing, warehouse, ["2026-10-02", "2026-10-03"])
    staging(warehouse)
    assert_equals_full_rebuild(staging, warehouse, tmp_path)
    assert first_deliveries(warehouse)["m3"] == ("2026-10-02", "events/2026-10-02/events.jsonl")
    assert first_deliveries(warehouse)["m1"] == ("2026-10-01", "events/2026-10-01/a.jsonl")   # not the redelivery
    assert "m6" in first_deliveries(warehouse)

    # a file rewritten: m2 leaves day 1, so its redelivery of day 2 becomes its first delivery; m1 changes
    landing.events("2026-10-01", [event("m1", "2026-10-01T08:30:00Z"), event("m7", "2026-10-01T10:00:00Z")],
                   name="a.jsonl")
    ingest(landing, warehouse, ["2026-10-01"])
    staging(warehouse)
    assert_equals_full_rebuild(staging, warehouse, tmp_path)
    firsts = first_deliveries(warehouse)
    assert firsts["m2"] == ("2026-10-02", "events/2026-10-02/events.jsonl")
    assert firsts["m7"] == ("2026-10-01", "events/2026-10-01/a.jsonl")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(f"select occurred_at::varchar from {MODEL} where message_id = 'm1'").fetchone() == (
            "2026-10-01 08:30:00",)

    # a day removed: its only event goes, its redelivery of m3 goes with it (day 2's copy stays)
    shutil.rmtree(landing.root / "events" / "2026-10-03")
    ingest(landing, warehouse, ["2026-10-03"])
    staging(warehouse)
    assert_equals_full_rebuild(staging, warehouse, tmp_path)
    assert sorted(first_deliveries(warehouse)) == ["m1", "m2", "m3", "m4", "m6", "m7"]

    # nothing new: the build changes nothing
    before = staged(warehouse)
    staging(warehouse)
    assert staged(warehouse) == before


def test_a_warehouse_staged_before_load_ids_is_taken_over_and_stays_exact(tmp_path, staging):
    """A warehouse of an earlier version: raw.events and the staged table without load_id."""
    landing, warehouse = Landing(tmp_path / "landing"), tmp_path / "wh.duckdb"
    landing.events("2026-10-01", [event("m1"), event("m2")])
    ingest(landing, warehouse, ["2026-10-01"])
    staging(warehouse)
    with duckdb.connect(str(warehouse)) as con:          # as an older version left it
        con.execute("alter table raw.events drop column load_id")
        con.execute(f"alter table {MODEL} drop column load_id")
        con.execute("drop table raw.event_loads")
    landing.events("2026-10-02", [event("m3"), event("m1")])
    ingest(landing, warehouse, ["2026-10-02"])
    staging(warehouse)
    assert_equals_full_rebuild(staging, warehouse, tmp_path)
    assert sorted(first_deliveries(warehouse)) == ["m1", "m2", "m3"]
    assert first_deliveries(warehouse)["m1"][0] == "2026-10-01"


def test_run_full_refresh_loads_every_day_again_and_rebuilds_the_staged_events(pipeline_world_copy):
    """`microseg run --full-refresh` (run_pipeline(full_refresh=True)): every received day loaded again, and the
    incremental model rebuilt from all of raw: a staged row lost behind the loads' back comes back (an
    incremental run, which stages only what loads touched, would not see it)."""
    from orchestration.pipeline import run_pipeline
    from tests.helpers.world import AS_OF

    world = pipeline_world_copy
    warehouse = world.settings.warehouse
    with duckdb.connect(str(warehouse)) as con:
        last_load = con.execute("select max(load_id) from raw.event_loads").fetchone()[0]
        lost = con.execute(f"select message_id from {MODEL} order by message_id limit 1").fetchone()[0]
        staged_before = con.execute(f"select count(*) from {MODEL}").fetchone()[0]
        con.execute(f"delete from {MODEL} where message_id = ?", [lost])

    outcome = run_pipeline(world.settings, AS_OF, instance=world.instance, full_refresh=True)
    assert outcome.success, outcome.failures
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(f"select count(*) from {MODEL}").fetchone()[0] == staged_before
        assert con.execute(f"select count(*) from {MODEL} where message_id = ?", [lost]).fetchone()[0] == 1
        days = con.execute("select count(distinct received_date) from raw.events").fetchone()[0]
        reloaded = con.execute("select sum(received_days) from raw.event_loads where load_id > ?",
                               [last_load]).fetchone()[0]
    assert reloaded == days                              # every received day was loaded again
