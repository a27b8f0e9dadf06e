"""Runs that cannot step on each other, end to end with the real CLI in real processes: two runs started
together on one warehouse run one after the other; a reader waits for a run; a run killed by SIGKILL at
several points leaves a consistent warehouse and the next run repairs, completes and equals an
uninterrupted one. Each kill is a real SIGKILL at a failpoint (orchestration/lib/core/failpoints.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.core import REPO_ROOT
from orchestration.lib.warehouse.run_lock import lock_path, read_holder
from tests.helpers.dbt import run_dbt
from tests.helpers.world import AS_OF, copy_pipeline_world

pytestmark = pytest.mark.slow

SEGMENT = "urban_women_25_35_new_arrivals"


def cli_env(settings, **extra) -> dict:
    return {**os.environ, "MICROSEG_LANDING": str(settings.landing), "MICROSEG_WAREHOUSE": str(settings.warehouse),
            "MICROSEG_REPORTS": str(settings.reports), "MICROSEG_REVIEW": str(settings.review),
            "MICROSEG_AS_OF": AS_OF, "MICROSEG_FAILPOINT": "", **extra}


def start(settings, *args, **env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "orchestration.cli.main", *args], cwd=REPO_ROOT,
                            env=cli_env(settings, **env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, timeout: float = 900) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def table_checksums(path: Path) -> dict:
    """Rows and an md5 of the content of every data table, without the Dagster run ids some rows carry (the
    merge ledger's, the segment history's) and the landing files' modification times (raw.event_files): two
    warehouses built by different runs from copies of the same files compare equal when their data is."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("select table_schema, table_name, list(column_name) from information_schema.columns "
                             "where table_schema in ('raw', 'staging', 'quarantine', 'identity', 'intermediate', "
                             "'marts', 'scoring', 'enrichment', 'segments') group by all").fetchall()
        out = {}
        for schema, table, columns in tables:
            cols = ", ".join(f'"{c}"' for c in sorted(columns) if c not in ("run_id", "modified_ns"))
            out[f"{schema}.{table}"] = con.execute(
                f"select count(*), md5(coalesce(string_agg(x::varchar, '|' order by x::varchar), '')) "
                f'from (select {cols} from "{schema}"."{table}") x').fetchall()[0]
        return out


def wait_for_holder(warehouse: Path, pid: int, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        holder = read_holder(lock_path(warehouse))
        if holder is not None and holder.pid == pid:
            return holder
        time.sleep(0.05)
    raise AssertionError(f"process {pid} never took the run lock of {warehouse}")


def wait_until_free(warehouse: Path, timeout: float = 120) -> None:
    """Until no process holds the DuckDB file (a dbt child the kill orphaned finishes its command)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            duckdb.connect(str(warehouse), read_only=True).close()
            return
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def journal(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select run_id, command, outcome, failed_at, steps_completed from journal.runs "
                           "order by started_at, run_id").fetchall()


def add_late_events(landing: Path, lines: int = 60) -> None:
    """New events in the last received day (a new file: that day's folder changed, so the next run reloads it):
    copies of its first lines under new message ids."""
    import gzip
    import json

    day = sorted(p for p in (landing / "events").iterdir() if p.is_dir())[-1]
    source = sorted(day.glob("*.jsonl*"))[0]
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt") as f:
        docs = [json.loads(line) for _, line in zip(range(lines), f)]
    with open(day / "late-arrivals.jsonl", "w") as f:
        for doc in docs:
            f.write(json.dumps({**doc, "messageId": f"{doc['messageId']}-late"}) + "\n")


@pytest.fixture(scope="module")
def uninterrupted(pipeline_world, tmp_path_factory):
    """The pipeline world with late events added to its last received day, after one uninterrupted run: its
    tables' checksums before and after that run. Any later run on the same inputs changes no table."""
    world = copy_pipeline_world(pipeline_world, tmp_path_factory.mktemp("uninterrupted") / "world")
    before = table_checksums(world.settings.warehouse)
    add_late_events(world.settings.landing)
    code, out, err = finish(start(world.settings, "run"))
    assert code == 0, out[-3000:] + err[-3000:]
    after = table_checksums(world.settings.warehouse)
    assert {"raw.events", "staging.stg_tracking__events"} <= {t for t in after if after[t] != before.get(t)}
    return before, after


def new_world(pipeline_world, dest: Path):
    world = copy_pipeline_world(pipeline_world, dest)
    add_late_events(world.settings.landing)
    return world


def test_a_run_with_no_wait_fails_at_once_in_one_line_while_another_holds_the_warehouse(pipeline_world, tmp_path):
    from tests.warehouse.holder import Holding

    settings = copy_pipeline_world(pipeline_world, tmp_path / "world").settings
    with Holding("lock", settings.warehouse, "8391eb0d5c") as other:
        holder = read_holder(lock_path(settings.warehouse))
        code, out, err = finish(start(settings, "run", "--no-wait"), timeout=120)
        other.release()
    assert code == 75
    assert holder.pid == other.pid
    assert err.strip().splitlines()[-1] == f"error: warehouse {settings.warehouse} is in use by {holder.describe()}"
    assert "Traceback" not in err and out == ""


# the steps a kill lands in; each leaves every table as before its step or after it, never half
# (segments.history, at the end of a run, is killed at step level in tests/atomicity: a whole run more here)
KILL_POINTS = ("ingest.events", "dbt.build", "identity.map")


def test_killed_runs_leave_a_consistent_warehouse_and_two_runs_started_together_repair_it_one_after_the_other(
        uninterrupted, pipeline_world, tmp_path):
    before, after = uninterrupted
    settings = new_world(pipeline_world, tmp_path / "world").settings
    earlier = {r[0] for r in journal(settings.warehouse)}
    killed = []
    for point in KILL_POINTS:
        code, out, err = finish(start(settings, "run", MICROSEG_FAILPOINT=point))
        assert code == -signal.SIGKILL, f"{point}: exit {code}\n{out[-2000:]}{err[-3000:]}"
        killed.append(read_holder(lock_path(settings.warehouse)).run_id)   # the dead run's trace
        wait_until_free(settings.warehouse)                                # an orphaned dbt child ends
        # every table as it was before its step or as it is after it
        now = table_checksums(settings.warehouse)
        assert set(now) == set(after), point
        half = sorted(t for t in now if now[t] not in (before.get(t), after[t]))
        assert not half, f"killed at {point}: half-written {half}"
    run_dbt(tmp_path / "dbt", settings.warehouse, ["test"])                  # every dbt test passes on it

    # two runs started together: the first repairs and completes, the second waits for it, then runs;
    # a reader started meanwhile answers after them
    first = start(settings, "run")
    holder = wait_for_holder(settings.warehouse, first.pid)
    second = start(settings, "run")
    reader = start(settings, "segments", "members", SEGMENT, MICROSEG_READ_WAIT="1800")
    code1, out1, err1 = finish(first)
    code2, out2, err2 = finish(second)
    code3, out3, err3 = finish(reader)
    assert code1 == 0, out1[-3000:] + err1[-3000:]
    assert code2 == 0, out2[-3000:] + err2[-3000:]
    assert code3 == 0, err3[-2000:]
    assert "Traceback" not in err1 + err2 + err3
    assert f"waiting for run {holder.run_id[:8]} (pid {first.pid}, started {holder.started[11:19]}" in err2
    assert f"repair: run {killed[-1][:8]} (microseg run) was killed" in err1
    assert f"previous run: run {killed[-1][:8]} (microseg run, as_of {AS_OF}" in out1
    assert f"previous run: run {holder.run_id[:8]} (microseg run, as_of {AS_OF}" in out2
    # the results of an uninterrupted run (and the second run changes nothing)
    assert table_checksums(settings.warehouse) == after
    rows = [r for r in journal(settings.warehouse) if r[0] not in earlier]
    assert [(r[0], r[2]) for r in rows] == [*((k, "killed") for k in killed), (holder.run_id, "succeeded"),
                                            (rows[-1][0], "succeeded")]
    # no Dagster run of the warehouse is left in progress, and no pool slot is held
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(settings.warehouse.with_suffix(".dagster")))
    assert not instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    for pool in instance.event_log_storage.get_concurrency_keys():
        assert not instance.event_log_storage.get_concurrency_info(pool).claimed_slots
