"""A new day of events, refreshed incrementally, against the full rebuild of the same warehouse, as a user runs them.

`python -m benchmarks.incremental` generates BENCH_INCREMENTAL_CONTACTS (20000) contacts over BENCH_INCREMENTAL_DAYS
(90) + 1 days under bench_out/ (reused when present), holds the newest received day back, and times, each a
`microseg run` process of its own on one warehouse:

1. the first run on a fresh warehouse (every day but the newest), as_of the end of that day;
2. the newest day added, then `microseg run` (incremental: that day loaded, its messageIds staged), as_of a day
   later;
3. `microseg run --full-refresh` at the same as_of (every day loaded again, every model rebuilt): the baseline.

It prints each and the incremental run as a ratio to the full refresh, checks that the staged events of 2 and 3
are the same rows, and writes bench_out/incremental_results.json; each run's console (what each step took, by
its timestamps) is kept beside the warehouse as console-<run>.log.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from benchmarks.sample_run import _env

OUT = Path(os.environ.get("BENCH_OUT", "bench_out")).resolve()
CONTACTS = int(os.environ.get("BENCH_INCREMENTAL_CONTACTS", "20000"))
DAYS = int(os.environ.get("BENCH_INCREMENTAL_DAYS", "90"))
AS_OF = "2026-11-01T00:00:00Z"
MICROSEG = str(Path(sys.executable).parent / "microseg")
STAGED = "select * exclude (load_id) from staging.stg_tracking__events"


def _run(world: Path, as_of: str, name: str, *flags: str) -> float:
    """`microseg run` on `world`; its console (each step's timestamps) is kept in world/console-<name>.log."""
    # the generated history starts DAYS + 1 days before as_of: a day later, "inactive for 90 days" segments
    # jump from a handful of members to many, which the activation gate rightly blocks; here it is no failure
    env = {**_env(world, as_of), "MICROSEG_SEGMENT_MAX_CHANGE": "1000"}
    started = time.perf_counter()
    proc = subprocess.run([MICROSEG, "run", *flags], env=env, cwd=world, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    (world / f"console-{name}.log").write_text(proc.stderr)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-5000:])
        raise SystemExit(f"bench incremental: microseg run {' '.join(flags)} exited {proc.returncode}")
    return seconds


def main() -> None:
    world = OUT / f"incremental_{CONTACTS}_{DAYS}"
    landing, held = world / "landing", world / "held"
    if not (landing / "ground_truth" / "manifest.json").exists():
        shutil.rmtree(world, ignore_errors=True)
        subprocess.run([MICROSEG, "generate", "--out", str(landing), "--contacts", str(CONTACTS), "--days",
                        str(DAYS + 1), "--seed", "42", "--as-of", AS_OF], check=True, capture_output=True)
    days = sorted(p.name for p in (landing / "events").iterdir() if p.is_dir())
    newest = held / days[-1] if (held / days[-1]).exists() else None
    if newest is None:                                  # hold the newest received day back
        held.mkdir(parents=True, exist_ok=True)
        newest = held / days[-1]
        shutil.move(landing / "events" / days[-1], newest)
    for leftover in ("warehouse.duckdb", "warehouse.duckdb.wal", "warehouse.dagster", "reports", "review"):
        path = world / leftover
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    as_of = datetime.fromisoformat(AS_OF.replace("Z", "+00:00"))
    before = (as_of - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"incremental refresh: {CONTACTS:,} contacts x {DAYS} days, then 1 more day "
          f"({platform.machine()}, {os.cpu_count()} cores)", flush=True)
    first = _run(world, before, "first")
    print(f"  first run ({DAYS} days, fresh warehouse): {first:.1f}s", flush=True)
    shutil.move(newest, landing / "events" / newest.name)
    incremental = _run(world, AS_OF, "incremental")
    with duckdb.connect(str(world / "warehouse.duckdb"), read_only=True) as con:
        staged_incremental = con.execute(f"select count(*), sum(hash(t)) from ({STAGED}) t").fetchone()
        lines = con.execute("select count(*) from raw.events where received_date = ?",
                            [newest.name]).fetchone()[0]
    print(f"  one more day ({lines:,} lines), incremental run: {incremental:.1f}s", flush=True)
    kept = world / "after_incremental.duckdb"       # compared below; kept when they differ
    shutil.copy(world / "warehouse.duckdb", kept)
    full = _run(world, AS_OF, "full-refresh", "--full-refresh")
    with duckdb.connect(str(world / "warehouse.duckdb"), read_only=True) as con:
        staged_full = con.execute(f"select count(*), sum(hash(t)) from ({STAGED}) t").fetchone()
    if staged_full != staged_incremental:
        raise SystemExit(f"bench incremental: staged events differ: incremental {staged_incremental}, "
                         f"full refresh {staged_full} (the incremental run's warehouse: {kept})")
    kept.unlink()
    print(f"  the same, --full-refresh: {full:.1f}s; incremental / full = {incremental / full:.2f}x "
          f"(staged events identical: {staged_full[0]:,} rows)", flush=True)
    (OUT / "incremental_results.json").write_text(json.dumps(
        {"contacts": CONTACTS, "days": DAYS, "first_run_s": first, "incremental_s": incremental,
         "full_refresh_s": full, "new_day_lines": lines, "staged_rows": staged_full[0]}, indent=2))


if __name__ == "__main__":
    main()
