"""Erasure benchmark: what forgetting costs ingest, one erasure, and the rewrite of the warehouse file.

`python -m benchmarks.erasure` generates BENCH_ERASURE_CONTACTS (20000) contacts x BENCH_ERASURE_DAYS (30)
under bench_out/ (reused when present) and, in one process:

1. loads every received day and the tables into a fresh warehouse without tombstones (the baseline), then
   into another warehouse holding tombstones of BENCH_ERASURE_PERSONS (100) erased persons: ingest with
   tombstones as a ratio to the baseline (the anti-join on hashed keys is the whole difference);
2. applies the erasure requests of the loaded warehouse (the generator's `erasure` rows of the suppression
   list, plus one more): footprint, purge of every table, tombstones; seconds per request, and
3. rewrites the file (compact_database): seconds and bytes, against copying the file with `cp` (the floor).

Writes bench_out/erasure_results.json.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.lib.core import email_key
from orchestration.lib.erasure import ErasureRequest, add_requests, apply_erasures, compact_database, ensure_store
from orchestration.lib.ingest import TABLES, event_days, load_received_days, load_table

OUT = Path(os.environ.get("BENCH_OUT", "bench_out")).resolve()
CONTACTS = int(os.environ.get("BENCH_ERASURE_CONTACTS", "20000"))
DAYS = int(os.environ.get("BENCH_ERASURE_DAYS", "30"))
PERSONS = int(os.environ.get("BENCH_ERASURE_PERSONS", "100"))
NOW = datetime(2026, 11, 1)


def load(landing: Path, warehouse: Path, tombstone_emails: list[str]) -> float:
    """Seconds to load the whole landing folder into `warehouse` (tombstones of `tombstone_emails` first)."""
    warehouse.unlink(missing_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        if tombstone_emails:
            ensure_store(con)
            con.executemany("insert into erasure.tombstones values ('email', ?, 'bench', ?)",
                            [(email_key(e), NOW) for e in tombstone_emails])
        started = time.perf_counter()
        load_received_days(con, landing, sorted(event_days(landing)), tolerance_hours=24.0)
        for spec in TABLES.values():
            load_table(con, landing, spec)
        return time.perf_counter() - started


def main() -> None:
    from orchestration.lib.sample_data import generate

    landing = OUT / f"landing_erasure_{CONTACTS}_{DAYS}"
    if not (landing / "ground_truth" / "manifest.json").exists():
        generate(landing, contacts=CONTACTS, days=DAYS, seed=11)
    with duckdb.connect(":memory:") as con:
        emails = [r[0] for r in con.execute(
            f"select distinct lower(trim(email)) from read_csv('{landing}/crm/contacts.csv', all_varchar=true) "
            f"where email like '%@%' order by 1 limit {PERSONS + 1}").fetchall()]
    base_wh, erased_wh = OUT / "erasure_base.duckdb", OUT / "erasure_tombstones.duckdb"
    base = load(landing, base_wh, [])
    with_tombstones = load(landing, erased_wh, emails[:PERSONS])
    with duckdb.connect(str(base_wh)) as con:
        lines = con.execute("select count(*) from raw.events").fetchall()[0][0]
        add_requests(con, [ErasureRequest.from_address(emails[PERSONS], None, "bench")], NOW)
        started = time.perf_counter()
        results = apply_erasures(con, NOW, None, [])
        apply_seconds = time.perf_counter() - started
    started = time.perf_counter()
    shutil.copyfile(base_wh, OUT / "erasure_copy.duckdb")
    copy_seconds = time.perf_counter() - started
    started = time.perf_counter()
    before, after = compact_database(base_wh)
    compact_seconds = time.perf_counter() - started
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores", "contacts": CONTACTS, "days": DAYS,
        "event_lines": lines, "erased_persons": PERSONS, "ingest_seconds": round(base, 2),
        "ingest_with_tombstones_seconds": round(with_tombstones, 2),
        "ingest_ratio": round(with_tombstones / base, 3), "requests": len(results),
        "apply_seconds": round(apply_seconds, 2), "ms_per_request": round(1000 * apply_seconds / len(results)),
        "rows_removed": sum(r.rows_removed for r in results), "compact_seconds": round(compact_seconds, 2),
        "copy_seconds": round(copy_seconds, 2), "compact_vs_copy": round(compact_seconds / max(copy_seconds, 1e-6), 1),
        "bytes_before": before, "bytes_after": after,
    }
    print(f"erasure at {CONTACTS:,} contacts x {DAYS} days ({lines:,} event lines):")
    print(f"  ingest {base:.1f}s; with {PERSONS} erased persons' tombstones {with_tombstones:.1f}s "
          f"({result['ingest_ratio']:.2f}x)")
    print(f"  {len(results)} erasure requests (footprint + purge of every table + tombstones): {apply_seconds:.1f}s, "
          f"{result['ms_per_request']} ms each, {result['rows_removed']:,} rows removed")
    print(f"  rewrite of the file: {compact_seconds:.1f}s for {before / 1e6:,.0f} MB -> {after / 1e6:,.0f} MB "
          f"(cp of the same file: {copy_seconds:.2f}s)")
    (OUT / "erasure_results.json").write_text(json.dumps(result, indent=2) + "\n")
    for path in (base_wh, erased_wh, OUT / "erasure_copy.duckdb"):
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
