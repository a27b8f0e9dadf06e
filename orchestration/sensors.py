"""Sensors: a run for each received-day folder of events that the warehouse does not hold as it is now."""

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import duckdb as duckdb_lib

from orchestration.constants import AS_OF_TAG, RECEIVED_DAYS
from orchestration.jobs import INGEST_EVENTS_JOB
from orchestration.lib.core import format_as_of
from orchestration.lib.ingest import days_to_load, event_days, fingerprint, loaded_files
from orchestration.lib.warehouse import WarehouseBusy, WarehouseMissing, open_for_reading
from orchestration.resources.settings import MicrosegResource
from orchestration.resources.warehouse import WarehouseResource


def partition_end(day: str) -> str:
    """The as_of of a received-day partition: the end of that UTC day (the contract's Time rules)."""
    start = datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=timezone.utc)
    return format_as_of(start + timedelta(days=1))


@dg.sensor(job_name=INGEST_EVENTS_JOB, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def landing_folder_sensor(context: dg.SensorEvaluationContext, microseg: MicrosegResource,
                          duckdb: WarehouseResource) -> dg.SensorResult | dg.SkipReason:
    """Requests an ingestion run for each events/<YYYY-MM-DD>/ folder that is new or changed compared with what
    the warehouse holds (raw.event_files: names, sizes, checksums), never for a day already loaded as it is.

    A run's key is the day and its files' fingerprint, so the same state is requested once; its as_of is the
    end of the received day.
    """
    landing = microseg.landing_path
    present = event_days(landing)
    warehouse = Path(duckdb.database)
    loaded = {}
    try:
        with open_for_reading(warehouse, timeout_s=0) as con:           # never waits: a run holds it, next tick
            loaded = loaded_files(con)
    except WarehouseMissing:
        pass                                                            # nothing loaded yet
    except (WarehouseBusy, duckdb_lib.ConnectionException) as exc:
        return dg.SkipReason(f"warehouse busy, will look again next tick: {exc}")
    requested: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    todo = [day for day in days_to_load(landing, present, loaded)
            if requested.get(day) != fingerprint(present[day])]       # not asked again while its run is queued
    known = set(context.instance.get_dynamic_partitions(RECEIVED_DAYS))
    new_days = [d for d in todo if d not in known]
    requests = []
    for day in todo:
        requested[day] = fingerprint(present[day])
        requests.append(dg.RunRequest(partition_key=day, run_key=f"{day}:{requested[day]}",
                                      tags={AS_OF_TAG: partition_end(day)}))
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[received_days_request(new_days)] if new_days else [],
        cursor=json.dumps(requested, sort_keys=True),
        skip_reason=None if requests else f"every received day in {landing / 'events'} is loaded or requested",
    )


def received_days_request(days: list[str]) -> dg.AddDynamicPartitionsRequest:
    return dg.AddDynamicPartitionsRequest(partitions_def_name=RECEIVED_DAYS, partition_keys=days)


ALL_SENSORS = [landing_folder_sensor]
