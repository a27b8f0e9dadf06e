"""A Dagster run that no CLI started (the UI, a schedule, a sensor) holds the warehouse for its whole run
through its resources, is journaled under its run id, and waits for (or gives up on) another run."""

import re

import dagster as dg
import duckdb
import pytest

from orchestration.lib.warehouse import LockTimeout, held_here, read_holder
from orchestration.resources.warehouse import WarehouseResource
from tests.warehouse.holder import Holding


def _job_assets(seen: dict):
    @dg.asset
    def first(duckdb: WarehouseResource) -> None:
        seen["first"] = held_here(duckdb.database)
        with duckdb.get_connection() as con:
            con.execute("create or replace table t as select 1 as x")

    @dg.asset(deps=[first])
    def second(duckdb: WarehouseResource) -> None:
        seen["second"] = held_here(duckdb.database)

    return [first, second]


def test_a_dagster_run_holds_the_lock_from_its_first_step_to_its_last_and_is_journaled(tmp_path):
    warehouse, seen = tmp_path / "w.duckdb", {}
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(_job_assets(seen), instance=instance,
                            resources={"duckdb": WarehouseResource(database=str(warehouse), run_wait=5)})
    assert result.success
    # one holder, the run itself, for both steps
    assert seen["first"] is not None and seen["first"] == seen["second"]
    assert seen["first"].run_id == result.run_id
    assert held_here(warehouse) is None and read_holder(warehouse.with_name("w.duckdb.lock")) is None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select run_id, command, outcome, steps_completed from journal.runs").fetchall()
    assert rows == [(result.run_id, f"dagster {result.dagster_run.job_name}", "succeeded", ["first", "second"])]
    assert instance.get_run_by_id(result.run_id).tags["microseg/session"] == result.run_id


def test_a_dagster_run_gives_up_on_a_run_that_holds_the_warehouse_past_its_wait(tmp_path):
    warehouse, seen = tmp_path / "w.duckdb", {}
    with Holding("lock", warehouse, "8391eb0d5c"):
        with pytest.raises(dg.DagsterResourceFunctionError) as failed:
            dg.materialize(_job_assets(seen), instance=dg.DagsterInstance.ephemeral(),
                           resources={"duckdb": WarehouseResource(database=str(warehouse), run_wait=1)})
    cause = failed.value.__cause__
    assert isinstance(cause, LockTimeout)
    assert re.match(r"gave up after waiting 1s for run 8391eb0d \(pid \d+, started \d\d:\d\d:\d\d, test holder\)",
                    str(cause))
    assert seen == {}                                       # no step ran
