"""The repo's dbt project run on a test's own warehouse, and rows read back from it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

DBT = str(Path(sys.executable).with_name("dbt"))


def run_dbt(root: Path, warehouse: Path, args: list[str], dbt_vars: dict | None = None) -> str:
    """The repo's dbt project on `warehouse` (absolute), with its own target/ and logs/ under `root` (not the
    shared target/); fails the test with dbt's output unless it succeeds. Returns dbt's stdout."""
    from orchestration.constants import DBT_PROJECT_DIR

    env = dict(os.environ, MICROSEG_WAREHOUSE=str(warehouse), MICROSEG_DUCKDB_MEMORY_LIMIT="1GB")
    var_args = ["--vars", json.dumps(dbt_vars)] if dbt_vars is not None else []
    proc = subprocess.run(
        [DBT, *args, *var_args, "--profiles-dir", ".", "--target-path", str(root / "target"),
         "--log-path", str(root / "logs")],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    return proc.stdout


def rows(warehouse: Path, sql: str) -> list[dict]:
    """The rows of a query on a warehouse file, as dicts."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
