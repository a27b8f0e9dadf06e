"""`make bench`: generation, ingest + staging, and the whole pipeline at 100k contacts / 90 days.

Sizes from BENCH_CONTACTS (default 100000) and BENCH_DAYS (90); output under bench_out/.
Then identity resolution against ground truth beside Splink (benchmarks/identity.py; sizes from
BENCH_IDENTITY_SIZES; BENCH_IDENTITY=0 skips it), and the example segments compiled vs hand-written SQL on the
pipeline's warehouse (benchmarks/segments.py; BENCH_SEGMENTS=0 skips it), and enrichment: reference lookups on
BENCH_ENRICHMENT_PROFILES (1000000) synthetic profiles beside a per-row loop, inference at 100k persons, the HTTP
client's throughput (benchmarks/enrichment.py; BENCH_ENRICHMENT=0 skips it), and erasure: ingest with tombstones,
one erasure and the rewrite of the warehouse file (benchmarks/erasure.py; BENCH_ERASURE=0 skips it), and
`microseg run` on make run's sample against the start-up floor (benchmarks/sample_run.py; BENCH_SAMPLE=0 skips it),
and the events gate as SQL in the warehouse against a pandas frame (benchmarks/gates.py; BENCH_GATES=0 skips it),
and one more day refreshed incrementally against --full-refresh (benchmarks/incremental.py; BENCH_INCREMENTAL=0
skips it).
Each phase runs in its own process (its own peak RSS). The baseline is DuckDB's plain typed
read_json of the same files in the same run: our ingest is reported as a ratio to it.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(os.environ.get("BENCH_OUT", "bench_out")).resolve()
CONTACTS = int(os.environ.get("BENCH_CONTACTS", "100000"))
DAYS = int(os.environ.get("BENCH_DAYS", "90"))
AS_OF = "2026-11-01T00:00:00Z"


def phase(*args: str) -> dict:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "benchmarks.phases", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-5000:])
        raise SystemExit(f"bench phase {args[0]} failed")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    result["wall_seconds"] = time.perf_counter() - started
    return result


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    landing = OUT / f"landing_{CONTACTS}_{DAYS}"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    if not (landing / "ground_truth" / "manifest.json").exists():
        print(f"generating {CONTACTS:,} contacts x {DAYS} days into {landing} ...", flush=True)
        gen = phase("generate", str(landing), str(CONTACTS), str(DAYS))
        print(f"  generate: {gen['event_lines']:,} event lines in {gen['seconds']:.1f}s "
              f"({gen['lines_per_s']:,.0f} lines/s), peak RSS {gen['peak_rss_mb']:,.0f} MB")
    else:
        print(f"reusing {landing}")
    base = phase("baseline", str(landing))
    print(f"  baseline read_json (typed, no quarantine/lineage): {base['rows']:,} rows in {base['seconds']:.1f}s "
          f"({base['lines_per_s']:,.0f} lines/s), dedup {base['dedup_seconds']:.1f}s, "
          f"peak RSS {base['peak_rss_mb']:,.0f} MB")
    ing = phase("ingest", str(landing), str(OUT / "ingest.duckdb"))
    print(f"  ingest events: {ing['lines']:,} lines in {ing['events_seconds']:.1f}s ({ing['lines_per_s']:,.0f} lines/s"
          f" = {ing['lines_per_s'] / base['lines_per_s']:.2f}x baseline); tables {ing['tables_seconds']:.1f}s; "
          f"dbt staging {ing['dbt_staging_seconds']:.1f}s; total {ing['total_seconds']:.1f}s; "
          f"peak RSS {ing['peak_rss_mb']:,.0f} MB")
    pipe = phase("pipeline", str(landing), str(OUT / "pipeline" / "warehouse.duckdb"), AS_OF)
    print(f"  whole pipeline (Dagster in-process, dbt build + tests, GE gates, report): {pipe['seconds']:.1f}s, "
          f"success={pipe['success']}, peak RSS {pipe['peak_rss_mb']:,.0f} MB")
    (OUT / "results.json").write_text(json.dumps(
        {"contacts": CONTACTS, "days": DAYS, "baseline": base, "ingest": ing, "pipeline": pipe}, indent=2))
    if os.environ.get("BENCH_IDENTITY", "1") != "0":  # identity resolution vs Splink: benchmarks/identity.py
        from benchmarks import identity

        identity.main()
    if os.environ.get("BENCH_SEGMENTS", "1") != "0":  # segments compiled vs hand-written SQL: benchmarks/segments.py
        if subprocess.run([sys.executable, "-m", "benchmarks.segments", str(OUT / "pipeline" / "warehouse.duckdb")]
                          ).returncode != 0:  # its own process: its own peak RSS
            raise SystemExit("bench segments failed (MISMATCH between compiled and hand-written members?)")
    if os.environ.get("BENCH_ENRICHMENT", "1") != "0":  # reference / inference / HTTP: benchmarks/enrichment.py
        profiles = os.environ.get("BENCH_ENRICHMENT_PROFILES", "1000000")
        if subprocess.run([sys.executable, "-m", "benchmarks.enrichment", "--profiles", profiles]
                          ).returncode != 0:  # its own process: its own peak RSS and a cold GeoNames index
            raise SystemExit("bench enrichment failed (per-row and vectorized reference outputs differ?)")
    if os.environ.get("BENCH_ERASURE", "1") != "0":  # ingest with tombstones, one erasure, the file rewrite
        if subprocess.run([sys.executable, "-m", "benchmarks.erasure"]).returncode != 0:
            raise SystemExit("bench erasure failed")
    if os.environ.get("BENCH_SAMPLE", "1") != "0":  # `microseg run` on make run's sample: benchmarks/sample_run.py
        if subprocess.run([sys.executable, "-m", "benchmarks.sample_run"]).returncode != 0:
            raise SystemExit("bench sample_run failed")
    if os.environ.get("BENCH_GATES", "1") != "0":  # the events gate as SQL vs pandas: benchmarks/gates.py
        if subprocess.run([sys.executable, "-m", "benchmarks.gates"]).returncode != 0:
            raise SystemExit("bench gates failed")
    if os.environ.get("BENCH_INCREMENTAL", "1") != "0":  # one more day, incremental vs full: benchmarks/incremental.py
        if subprocess.run([sys.executable, "-m", "benchmarks.incremental"]).returncode != 0:
            raise SystemExit("bench incremental failed")


if __name__ == "__main__":
    main()
