"""Readers wait for a run and then read what it wrote; both kinds of connection wait out DuckDB's own lock on
the file (another program, an orphaned dbt) and then give up in one line naming the warehouse and its holder."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.warehouse.connections import (
    WarehouseBusy,
    WarehouseMissing,
    file_holder,
    open_for_reading,
    open_for_writing,
)
from orchestration.lib.warehouse.run_lock import lock_path, read_holder
from tests.warehouse.holder import Holding

RUN_ID = "c0ffee00" + "1" * 24


@pytest.fixture
def built(warehouse) -> Path:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table t (x integer); insert into t values (1)")
    return warehouse


def rows(con) -> list[int]:
    return [r[0] for r in con.execute("select x from t order by x").fetchall()]


def test_a_reader_during_a_run_reads_what_the_run_wrote(built):
    with Holding("run", built, RUN_ID) as run:
        threading.Timer(0.5, run.release).start()
        said: list[str] = []
        with open_for_reading(built, timeout_s=20, say=said.append) as con:
            assert rows(con) == [1, 2]                  # after the run, never half-way through it
        assert said and said[0].startswith(f"waiting for run {RUN_ID[:8]} (pid {run.pid}")


def test_a_reader_that_cannot_wait_longer_gives_up_in_one_line(built):
    with Holding("lock", built, RUN_ID) as run:
        holder = read_holder(lock_path(built))
        with pytest.raises(WarehouseBusy) as at_once:
            with open_for_reading(built, timeout_s=0):
                pass
        assert str(at_once.value) == f"warehouse {built} is in use by {holder.describe()}"
        begun = time.monotonic()
        with pytest.raises(WarehouseBusy) as later:
            with open_for_reading(built, timeout_s=1):
                pass
        assert 0.9 <= time.monotonic() - begun < 5
        assert str(later.value) == f"gave up after waiting 1s for {holder.describe()} to finish on warehouse {built}"
        assert later.value.pid == run.pid and later.value.holder == holder
        assert run.release() == 0
    with open_for_reading(built, timeout_s=0) as con:    # the shared lock was given back each time
        assert rows(con) == [1]


def test_duckdbs_lock_error_names_the_holding_process(built):
    with Holding("duckdb", built) as other:
        with pytest.raises(duckdb.IOException) as raw:
            duckdb.connect(str(built), read_only=True)
        held = file_holder(raw.value)
        assert held.pid == other.pid
        assert Path(held.program).resolve() == Path(sys.executable).resolve()
        assert held.describe().startswith(f"PID {other.pid} (") and "tests.warehouse.holder duckdb" in held.describe()
        assert other.release() == 0
    assert file_holder(duckdb.IOException('IO Error: Cannot open file "x": No such file or directory')) is None


@pytest.mark.parametrize("opening", ["reading", "writing"])
def test_a_file_locked_outside_the_run_lock_is_waited_for_then_busy(built, opening):
    def connect(timeout_s, say=None):
        if opening == "reading":
            with open_for_reading(built, timeout_s=timeout_s, say=say) as con:
                return rows(con)
        with open_for_writing(built, timeout_s=timeout_s, say=say) as con:
            return rows(con)

    with Holding("duckdb", built) as other:
        said: list[str] = []
        begun = time.monotonic()
        with pytest.raises(WarehouseBusy) as busy:
            connect(1, said.append)
        assert 0.9 <= time.monotonic() - begun < 5
        assert busy.value.pid == other.pid and "\n" not in str(busy.value)
        assert str(busy.value).startswith(f"gave up after waiting 1s for PID {other.pid} (")
        assert str(busy.value).endswith(f"to release warehouse {built}")
        assert said[0].startswith(f"warehouse file is locked by PID {other.pid} (") and said[0].endswith("; waiting")
        threading.Timer(0.5, other.release).start()
        assert connect(20) == [1]                          # it let go within the wait


def test_a_missing_warehouse_is_said_and_nothing_is_created(tmp_path):
    warehouse = tmp_path / "data" / "x.duckdb"
    with pytest.raises(WarehouseMissing) as missing:
        with open_for_reading(warehouse, timeout_s=5):
            pass
    assert str(missing.value) == f"warehouse {warehouse} does not exist: run `microseg run` first"
    assert not (tmp_path / "data").exists()


def test_a_writer_creates_the_folder(tmp_path):
    warehouse = tmp_path / "new" / "w.duckdb"
    with open_for_writing(warehouse, timeout_s=0, config={"threads": 1}) as con:
        assert con.execute("select current_setting('threads')").fetchall()[0][0] == 1
    assert warehouse.is_file()
