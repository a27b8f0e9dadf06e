"""The landing sensor starts from what the warehouse holds, and stamps runs with the data's as_of."""

import subprocess
import sys

import dagster as dg
import duckdb

from orchestration.constants import AS_OF_TAG, RECEIVED_DAYS
from orchestration.lib.ingest import event_days, load_event_days
from orchestration.lib.ingest.loading import prepare
from orchestration.resources.settings import MicrosegResource
from orchestration.resources.warehouse import WarehouseResource
from orchestration.sensors import landing_folder_sensor
from tests.helpers.landing import event


def evaluate(landing, warehouse, instance, cursor=None):
    resources = {"duckdb": WarehouseResource(database=str(warehouse)),
                 "microseg": MicrosegResource(landing=str(landing.root), reports=str(landing.root / "r"))}
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
        return landing_folder_sensor(context)            # within the `with`: WarehouseResource is a generator


def test_opening_the_ui_after_a_run_queues_nothing(landing, tmp_path):
    # Regression: on first start the sensor queued one run per day folder although `make run` had loaded them all
    for day in ("2026-10-01", "2026-10-02", "2026-10-03"):
        landing.events(day, [event(f"m-{day}")])
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        prepare(con)
        load_event_days(con, landing.root, event_days(landing.root))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(RECEIVED_DAYS, ["2026-10-01", "2026-10-02", "2026-10-03"])
    result = evaluate(landing, warehouse, instance)
    assert result.run_requests == [] and result.dynamic_partitions_requests == []
    landing.events("2026-09-30", [event("late")])      # a late, older folder
    later = evaluate(landing, warehouse, instance, result.cursor)
    assert [r.partition_key for r in later.run_requests] == ["2026-09-30"]
    assert later.run_requests[0].tags[AS_OF_TAG] == "2026-10-01T00:00:00Z"     # the partition's end, not now
    assert later.dynamic_partitions_requests[0].partition_keys == ["2026-09-30"]
    assert evaluate(landing, warehouse, instance, later.cursor).run_requests == []   # asked once


def test_a_busy_warehouse_is_looked_at_again_next_tick(landing, tmp_path):
    landing.events("2026-10-01", [event("a")])
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('locked', flush=True); time.sleep(60)", str(warehouse)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"     # another process writes the warehouse
        result = evaluate(landing, warehouse, dg.DagsterInstance.ephemeral())
    finally:
        holder.kill()
        holder.wait()
    assert isinstance(result, dg.SkipReason) and "busy" in result.skip_message


def test_a_running_run_is_named_and_not_waited_for(landing, tmp_path):
    from orchestration.lib.warehouse.run_lock import lock_path, read_holder
    from tests.warehouse.holder import Holding

    landing.events("2026-10-01", [event("a")])
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    with Holding("lock", warehouse, "0123abcd" * 4) as run:           # a run holds the run lock
        result = evaluate(landing, warehouse, dg.DagsterInstance.ephemeral())
        holder = read_holder(lock_path(warehouse))
        assert run.release() == 0
    assert isinstance(result, dg.SkipReason)
    assert result.skip_message == f"warehouse busy, will look again next tick: warehouse {warehouse} is in use by " \
                                  f"{holder.describe()}"
