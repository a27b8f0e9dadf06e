"""The erasure asset: apply the run's erasure requests after identity resolution, before any profile is built.

Thin glue: lib/erasure finds each person, purges every table and file, keeps hashed tombstones (which ingest
then uses to drop the person's rows for good), rewrites the warehouse file and writes the erasure reports.
The purge is one transaction; the compaction follows its commit (and is owed until done: a run killed before
it ends has the next run's erasure step do it).
"""

from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.constants import DUCKDB_POOL, GROUP_ERASURE, OWNERS
from orchestration.lib.core import markdown_table
from orchestration.lib.erasure import apply_erasures, compact_database, compaction_due, write_report
from orchestration.lib.ingest import TABLES
from orchestration.resources.settings import MicrosegResource

UPSTREAM = [["identity", "identity_map"], ["identity", "clusters"], ["identity", "contacts_normalized"],
            ["identity", "match_pairs"], ["raw", "events"], "stg_tracking__events",
            *(["raw", name] for name in TABLES)]


def erasure_folders(microseg: MicrosegResource) -> list[Path]:
    """The folders of files microseg writes that can name a person (reports and Data Docs, review queue)."""
    return [microseg.reports_path, microseg.review_path]


@dg.asset(key=["erasure", "tombstones"], group_name=GROUP_ERASURE, deps=UPSTREAM, kinds={"python", "duckdb"},
          pool=DUCKDB_POOL, owners=OWNERS)
def erasure_tombstones(context: dg.AssetExecutionContext, microseg: MicrosegResource,
                       duckdb: DuckDBResource) -> dg.MaterializeResult:
    """Erasure requests (`microseg forget`, the suppression list's `erasure` rows) applied: the person's rows
    leave every table, the review queue and the reports; hashes of every key they were known by are kept, so
    ingest drops their rows from now on. One report per request in reports/erasure/."""
    with duckdb.get_connection() as con:
        results = apply_erasures(con, datetime.now(timezone.utc).replace(tzinfo=None), context.run_id,
                                 erasure_folders(microseg), progress=context.log.info)
        tombstones = con.execute("select count(*) from erasure.tombstones").fetchall()[0][0]
        owed = compaction_due(con)
    reports = [write_report(r, microseg.reports_path / "erasure") for r in results]
    if results or owed:
        before, after = compact_database(duckdb.database)
        context.log.info(f"warehouse file rewritten without the erased rows: {before:,} -> {after:,} bytes")
    return dg.MaterializeResult(metadata={
        **microseg.run_metadata(context),
        "dagster/row_count": tombstones,
        "requests_applied": len(results),
        "requests": dg.MetadataValue.md(markdown_table([
            {"request": r.request_id, "status": r.status, "persons": r.persons, "rows_removed": r.rows_removed,
             "files": len(r.files)} for r in results])) if results else "none",
        **({"reports": dg.MetadataValue.path(str(reports[0].parent))} if reports else {}),
    })
