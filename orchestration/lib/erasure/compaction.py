"""Rewrite the warehouse file so that deleted rows are gone from the disk, not only from the tables.

DuckDB marks deleted rows and reuses their blocks later; until then the bytes are still in the file. After an
erasure the whole database is copied into a fresh file (COPY FROM DATABASE: schemas, tables, views, macros,
constraints) which then replaces the old one; the write-ahead log goes with it. Needs the file to itself.

Killed at any point it leaves a whole warehouse: the old file until the rename (a `.compacting` file beside
it is garbage, replaced by the next compaction), the new one after. The new file's `erasure.compaction_due` is
emptied before the rename, so a compaction that did not finish is owed still (lib/erasure/store.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from orchestration.lib.core import sql_literal


def compact_database(path: str | Path) -> tuple[int, int]:
    """Copy the DuckDB file at `path` into a new file and put it in its place; (bytes before, bytes after)."""
    path = Path(path)
    fresh = path.with_name(path.name + ".compacting")
    fresh.unlink(missing_ok=True)          # left by a compaction that was killed: garbage, with its log
    Path(str(fresh) + ".wal").unlink(missing_ok=True)
    before = path.stat().st_size
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach {sql_literal(path)} as old_warehouse")
        con.execute("checkpoint old_warehouse")
        con.execute(f"attach {sql_literal(fresh)} as new_warehouse")
        con.execute("copy from database old_warehouse to new_warehouse")
        if con.execute("select count(*) from duckdb_tables() where database_name = 'new_warehouse' and "
                       "schema_name = 'erasure' and table_name = 'compaction_due'").fetchall()[0][0]:
            con.execute("delete from new_warehouse.erasure.compaction_due")
        con.execute("checkpoint new_warehouse")
        con.execute("detach new_warehouse")
        con.execute("detach old_warehouse")
        if Path(str(fresh) + ".wal").exists():   # everything must be in the file that is renamed
            raise RuntimeError(f"{fresh}: its write-ahead log is still there after the copy; not replacing {path}")
    except BaseException:
        fresh.unlink(missing_ok=True)
        Path(str(fresh) + ".wal").unlink(missing_ok=True)
        raise
    finally:
        con.close()
    os.replace(fresh, path)
    Path(str(path) + ".wal").unlink(missing_ok=True)
    return before, path.stat().st_size
