"""The sample run: `microseg run` on the sample `make run` generates (2,000 contacts x 30 days), as a user runs it.

`python -m benchmarks.sample_run` generates the sample under bench_out/ (reused when present) and times, each as a
process of its own, BENCH_SAMPLE_RUNS (3) times in turn:

1. the floor: a process that imports microseg and builds its Dagster definitions (what any run pays first);
2. `microseg run` on a fresh warehouse (the first run of a new warehouse: every day ingested, every model built,
   every gate validated), with the warehouse's dbt target folder kept from the previous run, as on a user's
   machine after `make install`.

It prints the median of each and the run as a ratio to the floor, and what the run's own console said each step
took (its timestamps), and writes bench_out/sample_run_results.json.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(os.environ.get("BENCH_OUT", "bench_out")).resolve()
RUNS = int(os.environ.get("BENCH_SAMPLE_RUNS", "3"))
AS_OF = "2026-11-01T00:00:00Z"
MICROSEG = str(Path(sys.executable).parent / "microseg")      # the venv's command, as a user runs it
FLOOR = "from orchestration.definitions import build_defs; build_defs()"


def _env(world: Path, as_of: str = AS_OF) -> dict[str, str]:
    """The environment of a `microseg run` on `world` (landing, warehouse, reports, review under it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROSEG_")}
    env.update(MICROSEG_LANDING=str(world / "landing"), MICROSEG_WAREHOUSE=str(world / "warehouse.duckdb"),
               MICROSEG_REPORTS=str(world / "reports"), MICROSEG_REVIEW=str(world / "review"),
               MICROSEG_AS_OF=as_of, DAGSTER_DISABLE_TELEMETRY="1", DBT_SEND_ANONYMOUS_USAGE_STATS="false",
               GX_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    return env


def _timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-5000:])
        raise SystemExit(f"bench sample_run: {' '.join(cmd)} exited {proc.returncode}")
    return seconds, proc.stderr


def main() -> None:
    repo = Path(__file__).resolve().parents[1]
    world = OUT / "sample_run"
    landing = world / "landing"
    if not (landing / "ground_truth" / "manifest.json").exists():
        subprocess.run([MICROSEG, "generate", "--out", str(landing), "--contacts",
                        "2000", "--days", "30", "--seed", "42", "--as-of", AS_OF], check=True, cwd=repo,
                       capture_output=True)
    env = _env(world)
    floors, runs = [], []
    console = ""
    for _ in range(RUNS):
        floors.append(_timed([sys.executable, "-c", FLOOR], env, repo)[0])
        for leftover in world.glob("warehouse.duckdb*"):
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        seconds, console = _timed([MICROSEG, "run"], env, repo)
        runs.append(seconds)
    floor, run = statistics.median(floors), statistics.median(runs)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"  sample run (2,000 contacts x 30 days, fresh warehouse): median {run:.1f}s of {RUNS} "
          f"(min {min(runs):.1f}s, max {max(runs):.1f}s)")
    print(f"  floor (import microseg, build the definitions): median {floor:.1f}s; run = {run / floor:.1f}x floor")
    print("  the last run's console:")
    for line in console.splitlines():
        if line[:2].isdigit():
            print("    " + line[:140])
    results = {"machine": platform.machine(), "cores": os.cpu_count(), "runs_s": runs, "floor_s": floors,
               "run_median_s": run, "floor_median_s": floor, "ratio_to_floor": run / floor}
    (OUT / "sample_run_results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
