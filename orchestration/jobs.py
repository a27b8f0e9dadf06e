"""Jobs: per-day event ingestion, and the refresh of everything else."""

import dagster as dg

from orchestration.assets.ingest import received_days

RAW_EVENTS = dg.AssetSelection.assets(["raw", "events"])

ingest_events_job = dg.define_asset_job(
    "ingest_events_job", selection=RAW_EVENTS, partitions_def=received_days,
    description="Load received-day folders of events (one partition per events/<YYYY-MM-DD>/).")

refresh_job = dg.define_asset_job(
    "refresh_job", selection=dg.AssetSelection.all() - RAW_EVENTS,
    description="Reload CRM, orders, catalog and suppression, rebuild every model behind its gates, report.")

ALL_JOBS = [ingest_events_job, refresh_job]
