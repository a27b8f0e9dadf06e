"""`microseg segments members` while a run holds the warehouse: it waits up to --wait / MICROSEG_READ_WAIT, then
fails in one `error:` line with the busy exit code, never a traceback; a missing warehouse is one line too."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.cli.common import BUSY_EXIT
from orchestration.lib.core import REPO_ROOT
from orchestration.lib.warehouse.run_lock import lock_path, read_holder
from tests.warehouse.holder import Holding

MICROSEG = str(Path(sys.executable).with_name("microseg"))     # the installed command, as a user runs it
SEGMENT = "high_value"
RUN_ID = "feedface" + "2" * 24


def env_for(warehouse, **extra) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MICROSEG_")}
    return {**clean, "MICROSEG_WAREHOUSE": str(warehouse), **extra}


@pytest.fixture
def empty(warehouse):
    duckdb.connect(str(warehouse)).close()     # a warehouse no run has built: past the lock, a usage error
    return warehouse


def test_members_while_a_run_holds_the_warehouse_fail_in_one_line(empty):
    with Holding("lock", empty, RUN_ID) as run:
        holder = read_holder(lock_path(empty))
        proc = subprocess.run([MICROSEG, "segments", "members", SEGMENT],
                              cwd=REPO_ROOT, env=env_for(empty, MICROSEG_READ_WAIT="1"), capture_output=True,
                              text=True, timeout=120)
        at_once = CliRunner().invoke(main, ["segments", "members", SEGMENT, "--wait", "0"], env=env_for(empty))
        assert run.release() == 0
    assert proc.returncode == BUSY_EXIT and proc.stdout == ""
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: gave up after waiting 1s for {holder.describe()} to finish on warehouse {empty}"]
    assert proc.stderr.splitlines() == [f"microseg: waiting for {holder.describe()} to finish", *errors]
    assert at_once.exit_code == BUSY_EXIT
    assert at_once.stderr == f"error: warehouse {empty} is in use by {holder.describe()}\n"


def test_members_wait_for_the_run_then_read(empty):
    with Holding("lock", empty, RUN_ID) as run:
        threading.Timer(0.5, run.release).start()
        result = CliRunner().invoke(main, ["segments", "members", SEGMENT, "--wait", "30"], env=env_for(empty))
    assert result.exit_code == 2                           # it got in, and found no run's output
    assert result.stderr.splitlines()[-1] == (f"error: warehouse {empty} has no segments.seg_profiles: "
                                              "run `microseg run` first")


def test_members_of_a_missing_warehouse_say_so_in_one_line(tmp_path):
    result = CliRunner().invoke(main, ["segments", "members", SEGMENT], env=env_for(tmp_path / "none.duckdb"))
    assert result.exit_code == 2
    assert result.stderr == f"error: warehouse {tmp_path / 'none.duckdb'} does not exist: run `microseg run` first\n"
