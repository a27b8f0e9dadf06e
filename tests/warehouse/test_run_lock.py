"""The run lock between real processes: a live run blocks the next, a dead one never does (its record is taken
over), readers share it and wait for a run, and a process re-enters its own lease."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import pytest

from orchestration.lib.warehouse.run_lock import (
    Holder,
    LockTimeout,
    acquire_exclusive,
    acquire_shared,
    lock_path,
    read_holder,
)
from tests.warehouse.holder import COMMAND, Holding

RUN_ID = "8391eb0d" + "5" * 24


def test_a_live_run_blocks_the_next_at_once_and_after_its_timeout(warehouse):
    with Holding("lock", warehouse, RUN_ID) as run:
        with pytest.raises(LockTimeout) as at_once:
            acquire_exclusive(warehouse, "second", "test", timeout_s=60, wait=False)
        assert f"pid {run.pid}" in str(at_once.value) and RUN_ID[:8] in str(at_once.value)
        assert at_once.value.holder.pid == run.pid and at_once.value.holder.run_id == RUN_ID
        said: list[str] = []
        begun = time.monotonic()
        with pytest.raises(LockTimeout) as later:
            acquire_exclusive(warehouse, "second", "test", timeout_s=1, say=said.append)
        assert 0.9 <= time.monotonic() - begun < 5
        started = read_holder(lock_path(warehouse)).started[11:19]
        assert said and said[0].startswith(f"waiting for run {RUN_ID[:8]} (pid {run.pid}, started {started}")
        assert str(later.value).startswith("gave up after waiting 1s for run 8391eb0d")
        assert "\n" not in str(later.value)
        assert run.release() == 0
    assert lock_path(warehouse).read_text() == ""              # a clean end leaves no trace
    with acquire_exclusive(warehouse, "second", "test", timeout_s=0, wait=False) as lease:
        assert lease.took_over is None


def test_a_run_that_would_not_wait_says_the_warehouse_is_in_use(warehouse):
    with Holding("lock", warehouse, RUN_ID) as run:
        with pytest.raises(LockTimeout) as at_once:
            acquire_exclusive(warehouse, "second", "test", timeout_s=60, wait=False)
        holder = read_holder(lock_path(warehouse))
        assert str(at_once.value) == f"warehouse {warehouse} is in use by {holder.describe()}"
        assert run.release() == 0


def test_a_run_killed_by_sigkill_is_taken_over_at_once(warehouse):
    with Holding("lock", warehouse, RUN_ID) as run:
        run.proc.send_signal(signal.SIGKILL)
        assert run.proc.wait(10) == -signal.SIGKILL
    with acquire_exclusive(warehouse, "next", "test", timeout_s=0, wait=False) as lease:
        assert lease.took_over is not None
        assert (lease.took_over.pid, lease.took_over.run_id, lease.took_over.command) == (run.pid, RUN_ID, COMMAND)
        assert read_holder(lock_path(warehouse)).run_id == "next"


def test_a_stale_record_of_a_dead_process_is_taken_over(warehouse):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = Holder.for_this_process("deadbeef" * 4, "microseg run")
    stale = Holder(**{**stale.__dict__, "pid": gone.pid})
    import json
    from dataclasses import asdict

    lock_path(warehouse).write_text(json.dumps(asdict(stale)))     # written by hand: no flock held
    assert read_holder(lock_path(warehouse)) == stale and stale.process_alive() is False
    with acquire_exclusive(warehouse, "next", "test", timeout_s=0, wait=False) as lease:
        assert lease.took_over == stale


def test_a_process_reenters_its_own_lease_and_gives_it_back_whole(warehouse):
    outer = acquire_exclusive(warehouse, RUN_ID, "outer", timeout_s=0)
    inner = acquire_exclusive(warehouse, "ignored", "inner", timeout_s=0, wait=False)
    assert inner.reentered and inner.holder == outer.holder
    with acquire_shared(warehouse, timeout_s=0) as read:          # a read within the run goes ahead at once
        assert read.reentered and read.exclusive
    inner.release()
    assert read_holder(lock_path(warehouse)).run_id == RUN_ID      # still held by the outer lease
    outer.release()
    assert lock_path(warehouse).read_text() == ""
    with Holding("lock", warehouse, "other") as other:             # another process takes it
        assert read_holder(lock_path(warehouse)).pid == other.pid
        assert other.release() == 0


def test_readers_share_the_lock_and_keep_a_run_out(warehouse):
    with Holding("shared", warehouse) as reader:
        with acquire_shared(warehouse, timeout_s=0) as lease:       # a second reader at the same time
            assert not lease.exclusive and lease.waited_s < 1
        with pytest.raises(LockTimeout, match="another process"):
            acquire_exclusive(warehouse, RUN_ID, "test", timeout_s=0, wait=False)
        assert reader.release() == 0


def test_a_reader_waits_for_the_run_and_gets_in_when_it_ends(warehouse):
    with Holding("lock", warehouse, RUN_ID) as run:
        threading.Timer(0.8, run.release).start()
        said: list[str] = []
        with acquire_shared(warehouse, timeout_s=20, say=said.append) as lease:
            assert 0.7 <= lease.waited_s < 10
            assert read_holder(lock_path(warehouse)) is None          # the run had ended (its record cleared)
        assert said == [f"waiting for run {RUN_ID[:8]} (pid {run.pid}, "
                        f"started {said[0].split('started ')[1][:8]}, {COMMAND}) to finish"]
