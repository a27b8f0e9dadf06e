"""The warehouse's run lock: one writing run at a time per DuckDB file, readers wait for it.

A lock file beside the warehouse (`data/warehouse.duckdb.lock`) carries an advisory `flock`: a writing run
holds it exclusively for its whole duration, a reader shares it for the length of its read. The kernel
releases the lock of a process that dies, however it dies (SIGKILL, OOM kill, reboot), so a dead run can
never block a later one. The file's text names the holder (run id, pid, host, start, command) for the
messages of whoever waits; a holder that ends normally empties it, so a record found by the next holder is
the trace of a run that died holding the lock ("took over").

Reentrant within a process: the Dagster resources of a run started by `microseg run` find the CLI's lease
and share it.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

Say = Callable[[str], None]
REMIND_EVERY_S = 30.0      # a waiter repeats its message this often, with how long it has waited
POLL_S = 0.2


def lock_path(warehouse: Path) -> Path:
    """The lock file of `warehouse`: its name + `.lock`, beside it."""
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.name + ".lock")


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) a warehouse's run lock."""

    run_id: str
    pid: int
    host: str
    started: str            # ISO-8601 UTC, to the second
    command: str

    @classmethod
    def for_this_process(cls, run_id: str, command: str) -> Holder:
        now = datetime.now(timezone.utc).replace(microsecond=0)
        return cls(run_id=run_id, pid=os.getpid(), host=socket.gethostname(), started=now.isoformat(),
                   command=command)

    def describe(self) -> str:
        """`run 8391eb0d (pid 10246, started 09:40:12)`, with the command and, from another machine, its host."""
        started = self.started[11:19] if len(self.started) >= 19 else self.started
        where = f"pid {self.pid}" if self.host == socket.gethostname() else f"pid {self.pid} on {self.host}"
        what = f", {self.command}" if self.command else ""
        return f"run {self.run_id[:8]} ({where}, started {started}{what})"

    def process_alive(self) -> bool | None:
        """Whether the holder's process still exists: None when it ran on another machine (unknowable here)."""
        if self.host != socket.gethostname():
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class LockTimeout(Exception):
    """The lock stayed held for longer than the caller would wait (or it would not wait at all)."""

    def __init__(self, warehouse: Path, holder: Holder | None, waited_s: float, exclusive: bool):
        self.warehouse, self.holder, self.waited_s = Path(warehouse), holder, waited_s
        who = holder.describe() if holder else "another process"
        if waited_s <= 0:
            text = f"warehouse {warehouse} is in use by {who}"
        else:
            text = f"gave up after waiting {format_wait(waited_s)} for {who} to finish on warehouse {warehouse}"
        super().__init__(text)


def format_wait(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


@dataclass
class Lease:
    """A held lock; `release()` (or leaving the `with` block) gives it back."""

    path: Path
    exclusive: bool
    holder: Holder | None            # exclusive leases: this run
    took_over: Holder | None = None  # the record of a holder that died holding the lock
    reentered: bool = False          # this process held it already: this lease shares that one
    waited_s: float = 0.0
    _released: bool = field(default=False, repr=False)

    def release(self) -> None:
        if not self._released:
            self._released = True
            _release(self.path)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


@dataclass
class _Held:
    fd: int
    exclusive: bool
    count: int
    holder: Holder | None


_HELD: dict[str, _Held] = {}
_GUARD = threading.RLock()


def held_here(warehouse: Path) -> Holder | None:
    """The holder of `warehouse`'s exclusive lock when this process holds it, else None."""
    with _GUARD:
        held = _HELD.get(str(lock_path(warehouse).resolve()))
        return held.holder if held and held.exclusive else None


def read_holder(path: Path) -> Holder | None:
    """The holder recorded in a lock file (None: empty, missing or unreadable)."""
    try:
        return _parse_holder(Path(path).read_text())
    except OSError:
        return None


def acquire_exclusive(warehouse: Path, run_id: str, command: str, *, timeout_s: float, wait: bool = True,
                      say: Say | None = None) -> Lease:
    """Hold `warehouse`'s run lock for a writing run, waiting up to `timeout_s` (at once: `wait=False`) with a
    message through `say` when another run holds it; raises LockTimeout."""
    path = lock_path(warehouse).resolve()
    with _GUARD:
        held = _HELD.get(str(path))
        if held is not None:
            if not held.exclusive:
                raise RuntimeError(f"this process reads {warehouse} (shared lock) and cannot also write it")
            held.count += 1
            return Lease(path, True, held.holder, reentered=True)
    fd, waited = _lock(path, fcntl.LOCK_EX, warehouse, timeout_s if wait else 0.0, say, exclusive=True)
    stale = _read_fd(fd)
    me = Holder.for_this_process(run_id, command)
    _write_fd(fd, json.dumps(asdict(me), sort_keys=True) + "\n")
    with _GUARD:
        _HELD[str(path)] = _Held(fd, True, 1, me)
    return Lease(path, True, me, took_over=stale, waited_s=waited)


def acquire_shared(warehouse: Path, *, timeout_s: float, say: Say | None = None) -> Lease:
    """Share `warehouse`'s run lock for a read: waits up to `timeout_s` while a run holds it (raises
    LockTimeout). Within a run (this process holds it) the read goes ahead at once."""
    path = lock_path(warehouse).resolve()
    with _GUARD:
        held = _HELD.get(str(path))
        if held is not None:
            held.count += 1
            return Lease(path, held.exclusive, held.holder, reentered=True)
    fd, waited = _lock(path, fcntl.LOCK_SH, warehouse, timeout_s, say, exclusive=False)
    with _GUARD:
        _HELD[str(path)] = _Held(fd, False, 1, None)
    return Lease(path, False, None, waited_s=waited)


def _lock(path: Path, mode: int, warehouse: Path, timeout_s: float, say: Say | None,
          exclusive: bool) -> tuple[int, float]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    start = time.monotonic()
    told_at = None
    try:
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                return fd, time.monotonic() - start
            except BlockingIOError:
                pass
            waited = time.monotonic() - start
            holder = _read_fd(fd)
            if waited >= timeout_s:
                raise LockTimeout(warehouse, holder, waited if timeout_s > 0 else 0.0, exclusive)
            if say is not None and (told_at is None or waited - told_at >= REMIND_EVERY_S):
                who = holder.describe() if holder else "another process"
                so_far = f" (waited {format_wait(waited)} of {format_wait(timeout_s)})" if told_at is not None else ""
                say(f"waiting for {who} to finish{so_far}")
                told_at = waited
            time.sleep(min(POLL_S, max(timeout_s - waited, 0.01)))
    except BaseException:
        os.close(fd)
        raise


def _release(path: Path) -> None:
    with _GUARD:
        held = _HELD.get(str(path))
        if held is None:
            return
        held.count -= 1
        if held.count > 0:
            return
        del _HELD[str(path)]
    try:
        if held.exclusive:
            _write_fd(held.fd, "")          # a clean end: the next holder finds no trace of a dead run
    finally:
        fcntl.flock(held.fd, fcntl.LOCK_UN)
        os.close(held.fd)


def _read_fd(fd: int) -> Holder | None:
    try:
        size = os.fstat(fd).st_size
        return _parse_holder(os.pread(fd, max(size, 1), 0).decode("utf-8", "replace"))
    except OSError:
        return None


def _parse_holder(text: str) -> Holder | None:
    if not text.strip():
        return None
    try:
        return Holder(**json.loads(text))
    except (ValueError, TypeError):
        return None


def _write_fd(fd: int, text: str) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, text.encode(), 0)
    os.fsync(fd)
