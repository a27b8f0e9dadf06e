"""Jobs: per-day event ingestion, and the refresh of everything else.

Every run of a job carries its warehouse in the tag `microseg/warehouse`; dagster.yaml's run queue lets one run
per warehouse be in progress at a time (the CLI's in-process runs carry the tag too, and count)."""

import dagster as dg

from orchestration.assets.ingest import received_days

RAW_EVENTS = dg.AssetSelection.assets(["raw", "events"])
INGEST_EVENTS_JOB = "ingest_events_job"
REFRESH_JOB = "refresh_job"


def build_jobs(run_tags: dict[str, str]) -> list:
    """The jobs, each run tagged with `run_tags` (the warehouse)."""
    return [
        dg.define_asset_job(
            INGEST_EVENTS_JOB, selection=RAW_EVENTS, partitions_def=received_days, tags=run_tags,
            description="Load received-day folders of events (one partition per events/<YYYY-MM-DD>/)."),
        dg.define_asset_job(
            REFRESH_JOB, selection=dg.AssetSelection.all() - RAW_EVENTS, tags=run_tags,
            description="Reload CRM, orders, catalog and suppression, rebuild every model behind its gates, "
                        "report."),
    ]
