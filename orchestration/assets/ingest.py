"""Ingest assets: the landing folder into raw.* tables of the DuckDB warehouse (bad lines to quarantine.*).

Each asset writes in one transaction (lib/ingest/loading.py): killed at any point, it leaves the tables as
they were before it or as they are after it.
"""


import warnings

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.constants import DUCKDB_POOL, GROUP_INGEST, OWNERS, RECEIVED_DAYS
from orchestration.lib.core import markdown_table
from orchestration.lib.ingest import TABLES, FileProblem, TableSpec, load_received_days, load_table
from orchestration.resources.settings import MicrosegResource

received_days = dg.DynamicPartitionsDefinition(name=RECEIVED_DAYS)
SCHEMA_DRIFT = {"missing_column", "duplicate_column"}   # file problems that fail the asset


def _problems_metadata(problems: list[FileProblem]) -> dict:
    if not problems:
        return {}
    rows = [{"file": p.source_file, "reason": p.reason, "message": p.message} for p in problems]
    return {"file_problems": dg.MetadataValue.md(markdown_table(rows))}


with warnings.catch_warnings():
    # a backfill of many received days runs as one run; Dagster 1.13 warns that `backfill_policy` is beta on
    # every import, before anything a user asked for
    warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy")
    events_asset = dg.asset(
        key=["raw", "events"],
        group_name=GROUP_INGEST,
        partitions_def=received_days,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"python", "duckdb"},
        pool=DUCKDB_POOL,
        owners=OWNERS,
    )


@events_asset
def raw_events(context: dg.AssetExecutionContext, microseg: MicrosegResource,
               duckdb: DuckDBResource) -> dg.MaterializeResult:
    """One row per valid event line of a received-day folder (events/<YYYY-MM-DD>/*.jsonl[.gz]).

    Partitioned by received day: a run replaces its own days and touches no other. Lines that
    break the contract go to quarantine.events with file, line, raw text and a reason code.
    """
    with duckdb.get_connection() as con:
        try:
            loaded = load_received_days(con, microseg.landing_path, context.partition_keys,
                                        microseg.future_tolerance_hours, progress=context.log.info,
                                        warn=context.log.warning, batch_bytes=microseg.ingest_batch_mb << 20)
        except ValueError as exc:
            raise dg.Failure(str(exc)) from exc
    totals = loaded.totals
    return dg.MaterializeResult(metadata={
        **microseg.run_metadata(context),
        "dagster/row_count": totals.kept,
        "files": totals.files,
        "lines_read": totals.lines_read,
        "kept": totals.kept,
        "quarantined": totals.quarantined,
        "redelivered_duplicates": totals.redelivered,
        "erased": totals.erased,
        "reconciles": totals.reconciles,
        "quarantine_reasons": dg.MetadataValue.json(totals.quarantine_reasons),
        "days": dg.MetadataValue.md(markdown_table(loaded.per_day[:60])),
        **_problems_metadata(totals.file_problems),
    })


def build_table_asset(spec: TableSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", spec.name],
        group_name=GROUP_INGEST,
        kinds={"python", "duckdb"},
        pool=DUCKDB_POOL,
        owners=OWNERS,
        description=(f"One row per valid record of {spec.folder}/{spec.prefix}*.csv|parquet, as text with "
                     "file + line lineage; extra columns kept in `extra`; bad records in quarantine.records."),
    )
    def _asset(context: dg.AssetExecutionContext, microseg: MicrosegResource,
               duckdb: DuckDBResource) -> dg.MaterializeResult:
        with duckdb.get_connection() as con:
            stats = load_table(con, microseg.landing_path, spec)   # one transaction, with the tables' DDL
        if stats.files == 0:
            context.log.warning(f"no {spec.name} files in {microseg.landing_path / spec.folder}")
        for p in stats.file_problems:
            context.log.warning(f"{p.source_file}: {p.message} (rows loaded from it earlier are kept)")
        context.log.info(f"{spec.name}: {stats.records_read:,} records, {stats.kept:,} kept, "
                         f"{stats.quarantined:,} quarantined" + (f", {stats.erased:,} erased" if stats.erased else ""))
        drift = [p for p in stats.file_problems if p.reason in SCHEMA_DRIFT]
        if drift:
            # the other files are loaded (and this file's earlier rows kept), but the run must not go on
            # as if nothing happened: a renamed column silently empties whole attributes downstream
            raise dg.Failure(
                description="schema drift: " + "; ".join(f"{p.source_file}: {p.message}" for p in drift),
                metadata={"records_read": stats.records_read, "kept": stats.kept,
                          **_problems_metadata(stats.file_problems)})
        return dg.MaterializeResult(metadata={
            **microseg.run_metadata(context),
            "dagster/row_count": stats.kept,
            "files": stats.files,
            "records_read": stats.records_read,
            "kept": stats.kept,
            "quarantined": stats.quarantined,
            "erased": stats.erased,
            "reconciles": stats.reconciles,
            "kept_from_unreadable_files": stats.carried_over,
            "quarantine_reasons": dg.MetadataValue.json(stats.quarantine_reasons),
            "extra_columns": dg.MetadataValue.json(stats.extra_columns),
            **_problems_metadata(stats.file_problems),
        })

    return _asset


table_assets = [build_table_asset(spec) for spec in TABLES.values()]
