"""Another process on a warehouse, for the tests of the run lock and the connections: it takes what its mode
says, prints `ready`, holds it until a line on its stdin (or a kill), then lets go and exits.

    python -m tests.warehouse.holder run WAREHOUSE RUN_ID     # the exclusive run lock + a read-write connection;
                                                              # on release, inserts a row into t first
    python -m tests.warehouse.holder lock WAREHOUSE RUN_ID    # the exclusive run lock only
    python -m tests.warehouse.holder shared WAREHOUSE         # the shared run lock (a reader)
    python -m tests.warehouse.holder duckdb WAREHOUSE         # DuckDB's own lock only (no run lock): another program
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from orchestration.lib.core import REPO_ROOT

COMMAND = "test holder"


class Holding:
    """A started holder; `release()` lets it end normally, `proc.kill()` ends it as SIGKILL does."""

    def __init__(self, mode: str, warehouse: Path, *args: str):
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.warehouse.holder", mode, str(warehouse), *args],
                                     cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            self.proc.kill()
            raise AssertionError(f"holder {mode} did not get ready: {line!r}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def release(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.stdin.write("release\n")
            self.proc.stdin.flush()
        return self.proc.wait(timeout)

    def __enter__(self) -> Holding:
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def main(mode: str, warehouse: str, run_id: str = "") -> None:
    import duckdb

    from orchestration.lib.warehouse.run_lock import acquire_exclusive, acquire_shared

    path = Path(warehouse)
    lease = con = None
    if mode in ("run", "lock"):
        lease = acquire_exclusive(path, run_id, COMMAND, timeout_s=30)
    elif mode == "shared":
        lease = acquire_shared(path, timeout_s=30)
    if mode in ("run", "duckdb"):
        con = duckdb.connect(warehouse)
    print("ready", flush=True)
    sys.stdin.readline()
    if con is not None:
        if mode == "run":
            con.execute("insert into t values (2)")
        con.close()
    if lease is not None:
        lease.release()


if __name__ == "__main__":
    main(*sys.argv[1:])
