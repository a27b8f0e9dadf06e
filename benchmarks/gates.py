"""The events gate at millions of rows: its GE suite as SQL in the warehouse (what the gate does) against the same
suite on the same rows loaded into a pandas frame (what it did before), each in its own process (its own peak RSS).

    python -m benchmarks.gates [--rows 1000000,5000000]

Prints per size: seconds and peak RSS of each, and the ratio SQL / pandas. The warehouse holds a synthetic
gates.gate_stg_tracking__events (the view's columns, every rule satisfied), built once per size under bench_out/.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(os.environ.get("BENCH_OUT", "bench_out")).resolve()
SUITE = "stg_tracking__events__critical"


def build(path: Path, rows: int) -> None:
    import duckdb

    if path.exists():
        return
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    with duckdb.connect(str(tmp)) as con:
        con.execute("create schema gates")
        con.execute(f"""
            create table gates.gate_stg_tracking__events as
            select 'msg-' || i as message_id,
                   ['track', 'page', 'identify'][1 + i % 3] as event_type,
                   date '2026-08-01' + cast(i % 90 as integer) as received_date,
                   timestamp '2026-08-01 00:00:00' + to_days(cast(i % 90 as integer)) + to_seconds(i % 86400)
                       as occurred_at,
                   'person-' || (i % 100000) as identity_id,
                   true as track_has_event_name
            from range({rows}) t(i)""")
    tmp.rename(path)


def run_one(mode: str, warehouse: str) -> dict:
    import resource

    import duckdb

    from orchestration.checks.gates import EVENTS_FRAME_SQL
    from orchestration.constants import SUITES_DIR
    from orchestration.resources.expectations import GreatExpectationsResource

    gx = GreatExpectationsResource(suites_dir=str(SUITES_DIR), data_docs_dir=tempfile.mkdtemp())
    query = EVENTS_FRAME_SQL.format(tolerance_us=24 * 3_600_000_000)
    with duckdb.connect(warehouse, read_only=True) as con:
        gx.validate("segment__activation", con.execute("select true as size_change_within_limit").df())  # warm-up
        started = time.perf_counter()
        if mode == "sql":
            result = gx.validate_query(SUITE, con, query)
        else:
            result = gx.validate(SUITE, con.execute(query).df())
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "success": bool(result.success),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def measure(mode: str, warehouse: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.gates", "--one", mode, str(warehouse)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"bench gates {mode} failed")
    return json.loads(next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))[7:])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", default=os.environ.get("BENCH_GATES_ROWS", "1000000,5000000"))
    parser.add_argument("--one", nargs=2, metavar=("MODE", "WAREHOUSE"))
    args = parser.parse_args(argv)
    if args.one:
        print("RESULT " + json.dumps(run_one(*args.one)))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    print("gates: the events suite (12 expectations) as SQL in DuckDB vs on a pandas frame of the same rows")
    for rows in (int(r) for r in args.rows.split(",")):
        warehouse = OUT / f"gates_{rows}.duckdb"
        build(warehouse, rows)
        sql, frame = measure("sql", warehouse), measure("pandas", warehouse)
        if not (sql["success"] and frame["success"]):
            raise SystemExit(f"bench gates: a gate failed on valid rows ({rows:,}): sql {sql}, pandas {frame}")
        print(f"  {rows:>11,} rows: SQL {sql['seconds']:.1f}s, peak RSS {sql['peak_rss_mb']:,.0f} MB; "
              f"pandas {frame['seconds']:.1f}s, peak RSS {frame['peak_rss_mb']:,.0f} MB; "
              f"SQL / pandas = {sql['seconds'] / frame['seconds']:.2f}x time, "
              f"{sql['peak_rss_mb'] / frame['peak_rss_mb']:.2f}x memory", flush=True)


if __name__ == "__main__":
    main()
