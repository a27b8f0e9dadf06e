"""One benchmark phase per process, so each peak RSS is its own. Prints one JSON line."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def phase_generate(out: str, contacts: int, days: int) -> dict:
    from orchestration.lib.sample_data import generate

    started = time.perf_counter()
    stats = generate(out, contacts=contacts, days=days, seed=42)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "event_lines": stats.event_lines, "lines_per_s": stats.event_lines / seconds,
            "contacts": stats.contacts, "stats": stats.to_dict()}


def phase_ingest(landing: str, warehouse: str) -> dict:
    """Our ingest (quarantine, lineage, reconciliation) of every day and table, then dbt staging."""
    from orchestration.lib.core import load_settings
    from orchestration.lib.ingest import (
        TABLES,
        batches,
        connect,
        event_days,
        load_event_days,
        load_table,
    )

    Path(warehouse).unlink(missing_ok=True)
    con = connect(warehouse)
    days = event_days(Path(landing))
    started = time.perf_counter()
    lines = kept = 0
    batch_bytes = load_settings({}).ingest_batch_mb << 20          # as a run with the repository's settings
    for batch in batches(list(days), days, batch_bytes):
        for s in load_event_days(con, Path(landing), {d: days[d] for d in batch}):
            lines += s.lines_read
            kept += s.kept
            assert s.reconciles
    events_s = time.perf_counter() - started
    t = time.perf_counter()
    for spec in TABLES.values():
        load_table(con, Path(landing), spec)
    tables_s = time.perf_counter() - t
    con.close()
    env = {**os.environ, "MICROSEG_WAREHOUSE": warehouse}
    dbt = Path(sys.executable).with_name("dbt")
    t = time.perf_counter()
    subprocess.run([str(dbt), "run", "--select", "path:models/staging", "--profiles-dir", ".", "-q"],
                   cwd="dbt_project", env=env, check=True)
    staging_s = time.perf_counter() - t
    import duckdb

    with duckdb.connect(warehouse, read_only=True) as c:
        staged = c.execute("select count(*) from staging.stg_tracking__events").fetchall()[0][0]
    return {"events_seconds": events_s, "tables_seconds": tables_s, "dbt_staging_seconds": staging_s,
            "total_seconds": events_s + tables_s + staging_s, "lines": lines, "kept": kept,
            "stg_tracking__events": staged, "lines_per_s": lines / events_s}


def phase_baseline(landing: str) -> dict:
    """Baseline: DuckDB's own typed read_json of the same files, no quarantine, no lineage."""
    import duckdb

    con = duckdb.connect()
    started = time.perf_counter()
    n = con.execute(f"""
        create table e as select * from read_json('{landing}/events/*/*.jsonl*', format = 'newline_delimited',
            ignore_errors = true, columns = {{messageId: 'VARCHAR', timestamp: 'VARCHAR', type: 'VARCHAR',
            event: 'VARCHAR', userId: 'VARCHAR', anonymousId: 'VARCHAR', properties: 'JSON'}});
        select count(*) from e""").fetchall()[0][0]
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    con.execute("create table d as select * from e qualify row_number() over (partition by messageId) = 1")
    dedup = time.perf_counter() - started
    return {"seconds": seconds, "rows": n, "lines_per_s": n / seconds, "dedup_seconds": dedup}


def phase_pipeline(landing: str, warehouse: str, as_of: str) -> dict:
    """The whole Dagster pipeline in-process (ingest, dbt build with tests, GE gates, report)."""
    from orchestration.lib.core import load_settings
    from orchestration.pipeline import prepare_dbt, run_pipeline

    Path(warehouse).unlink(missing_ok=True)
    settings = load_settings({"landing": landing, "warehouse": warehouse,
                              "reports": str(Path(warehouse).parent / "reports")})
    import dagster as dg

    prepare_dbt()
    started = time.perf_counter()
    outcome = run_pipeline(settings, as_of, instance=dg.DagsterInstance.ephemeral())
    return {"seconds": time.perf_counter() - started, "success": outcome.success,
            "gates": outcome.gates}


if __name__ == "__main__":
    name, *args = sys.argv[1:]
    fn = globals()[f"phase_{name}"]
    typed = [int(a) if a.isdigit() else a for a in args]
    result = fn(*typed)
    result["peak_rss_mb"] = peak_rss_mb()
    print("RESULT " + json.dumps(result, default=str))
