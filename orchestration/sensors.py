"""Sensors: a run for each new (or changed) received-day folder of events."""


import json

import dagster as dg

from orchestration.constants import RECEIVED_DAYS
from orchestration.jobs import ingest_events_job
from orchestration.lib.ingest import event_days, fingerprint
from orchestration.resources.settings import MicrosegResource


@dg.sensor(job=ingest_events_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def landing_folder_sensor(context: dg.SensorEvaluationContext, microseg: MicrosegResource) -> dg.SensorResult:
    """Adds a `received_days` partition per new events/<YYYY-MM-DD>/ folder and runs its ingestion.

    The cursor remembers each folder's fingerprint (file names, sizes, mtimes), so a file added to
    an already loaded day re-runs that day only.
    """
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    days = event_days(microseg.landing_path)
    known = set(context.instance.get_dynamic_partitions(RECEIVED_DAYS))
    new_days = [d for d in days if d not in known]
    requests = []
    for day, files in days.items():
        fp = fingerprint(files)
        if seen.get(day) != fp:
            requests.append(dg.RunRequest(partition_key=day, run_key=f"{day}:{fp}"))
            seen[day] = fp
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[received_days_request(new_days)] if new_days else [],
        cursor=json.dumps(seen, sort_keys=True),
    )


def received_days_request(days: list[str]) -> dg.AddDynamicPartitionsRequest:
    return dg.AddDynamicPartitionsRequest(partitions_def_name=RECEIVED_DAYS, partition_keys=days)


ALL_SENSORS = [landing_folder_sensor]
