"""Rewrite the warehouse file so that deleted rows are gone from the disk, not only from the tables.

DuckDB marks deleted rows and reuses their blocks later; until then the bytes are still in the file. After an
erasure the whole database is copied into a fresh file (COPY FROM DATABASE: schemas, tables, views, macros,
constraints) which then replaces the old one; the write-ahead log goes with it. Needs the file to itself.
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
    fresh.unlink(missing_ok=True)
    before = path.stat().st_size
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach {sql_literal(path)} as old_warehouse")
        con.execute("checkpoint old_warehouse")
        con.execute(f"attach {sql_literal(fresh)} as new_warehouse")
        con.execute("copy from database old_warehouse to new_warehouse")
        con.execute("detach new_warehouse")
        con.execute("detach old_warehouse")
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    os.replace(fresh, path)
    Path(str(path) + ".wal").unlink(missing_ok=True)
    return before, path.stat().st_size
