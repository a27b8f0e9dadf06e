"""Connections to the warehouse file: a reader shares the run lock for as long as it reads, and both readers
and writers wait out DuckDB's own lock on the file for a bounded time.

DuckDB locks the file itself (one process writes it, or any number read it) and a connection that cannot take
that lock fails at once:
    IO Error: Could not set lock on file "<warehouse>": Conflicting lock is held in <program> (PID <n>). ...
Behind the run lock only a process outside it can hold that lock: another program on the file, or a dbt child
orphaned by a killed run, which finishes its command and lets go. So a connection retries while the file is
locked, then gives up with WarehouseBusy: one line naming the warehouse, its holder and how long it waited.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.lib.warehouse.run_lock import (
    REMIND_EVERY_S,
    Holder,
    LockTimeout,
    Say,
    acquire_shared,
    format_wait,
    lock_path,
)

RETRY_S = 0.25
_LOCK_ERROR = re.compile(r"Could not set lock on file")
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


@dataclass(frozen=True)
class FileHolder:
    """The process holding DuckDB's lock on the file, as far as DuckDB's message names it."""

    pid: int | None
    program: str | None

    def describe(self) -> str:
        """`PID 8120 (/usr/bin/python3 .venv/bin/dbt build)`: its command line when this machine can read it."""
        if self.pid is None:
            return "another process"
        command = _command_line(self.pid) or self.program
        return f"PID {self.pid} ({command})" if command else f"PID {self.pid}"


def file_holder(error: BaseException | str) -> FileHolder | None:
    """The holder named by DuckDB's lock-conflict error (pid None: not named); None when `error` is another error."""
    text = str(error)
    if not _LOCK_ERROR.search(text):
        return None
    match = _LOCK_HOLDER.search(text)
    return FileHolder(int(match["pid"]), match["program"] or None) if match else FileHolder(None, None)


def _command_line(pid: int) -> str | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    command = " ".join(part.decode("utf-8", "replace") for part in raw.split(b"\0") if part)
    return (command[:97] + "...") if len(command) > 100 else (command or None)


class WarehouseMissing(Exception):
    """There is no warehouse file to read yet."""

    def __init__(self, warehouse: Path):
        self.warehouse = Path(warehouse)
        super().__init__(f"warehouse {warehouse} does not exist: run `microseg run` first")


class WarehouseBusy(Exception):
    """The warehouse stayed in use longer than the caller would wait: a run held its run lock (`holder`), or a
    process held DuckDB's lock on the file (`file_holder`); `pid` is whichever is known. `waited_s` 0: the
    caller would not wait."""

    def __init__(self, warehouse: Path, waited_s: float, *, holder: Holder | None = None,
                 file_holder: FileHolder | None = None):
        self.warehouse, self.waited_s = Path(warehouse), waited_s
        self.holder, self.file_holder = holder, file_holder
        self.pid = holder.pid if holder else (file_holder.pid if file_holder else None)
        if holder is not None or file_holder is None:
            who, until = (holder.describe() if holder else "another process"), "to finish on"
        else:
            who, until = file_holder.describe(), "to release"
        if waited_s <= 0:
            text = f"warehouse {warehouse} is in use by {who}"
        else:
            text = f"gave up after waiting {format_wait(waited_s)} for {who} {until} warehouse {warehouse}"
        super().__init__(text)


@contextmanager
def open_for_reading(warehouse: Path, timeout_s: float, say: Say | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for the `with` block, sharing the run lock meanwhile: waits up to `timeout_s` in
    all for a running run (and then for DuckDB's lock on the file), saying so through `say`; raises
    WarehouseBusy, or WarehouseMissing when there is no warehouse (waiting first if a run, the first one, holds
    the lock: it is creating it)."""
    warehouse = Path(warehouse)
    started = time.monotonic()
    if not warehouse.is_file() and not lock_path(warehouse).exists():
        raise WarehouseMissing(warehouse)           # and no lock file is created beside a warehouse to be
    try:
        lease = acquire_shared(warehouse, timeout_s=timeout_s, say=say)
    except LockTimeout as exc:
        raise WarehouseBusy(warehouse, exc.waited_s if timeout_s > 0 else 0.0, holder=exc.holder) from exc
    with lease:
        if not warehouse.is_file():
            raise WarehouseMissing(warehouse)
        with _connect(warehouse, True, None, started, timeout_s, say) as con:
            yield con


def open_for_writing(warehouse: Path, timeout_s: float, say: Say | None = None,
                     config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """A read-write connection (a context manager too: `with open_for_writing(...) as con` closes it), the
    folder created; waits up to `timeout_s` while another process holds DuckDB's lock on the file, then raises
    WarehouseBusy. Takes no run lock: the caller holds the exclusive one."""
    warehouse = Path(warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    return _connect(warehouse, False, config, time.monotonic(), timeout_s, say)


def _connect(warehouse: Path, read_only: bool, config: dict | None, started: float, timeout_s: float,
             say: Say | None) -> duckdb.DuckDBPyConnection:
    told_at = None
    while True:
        try:
            return duckdb.connect(str(warehouse), read_only=read_only, config=config or {})
        except duckdb.IOException as exc:
            holder = file_holder(exc)
            if holder is None:
                raise
        waited = time.monotonic() - started
        if waited >= timeout_s:
            raise WarehouseBusy(warehouse, waited if timeout_s > 0 else 0.0, file_holder=holder)
        if say is not None and (told_at is None or waited - told_at >= REMIND_EVERY_S):
            so_far = f" (waited {format_wait(waited)} of {format_wait(timeout_s)})" if told_at is not None else ""
            say(f"warehouse file is locked by {holder.describe()}; waiting{so_far}")
            told_at = waited
        time.sleep(min(RETRY_S, max(timeout_s - waited, 0.01)))
