"""Generic DuckDB helpers: write a frame as a table, ask whether a table exists, quote text for SQL."""

from __future__ import annotations

import duckdb
import pandas as pd


def write_table(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """`create or replace table <schema>.<table>` with the rows of `frame` (the schema is created when missing)."""
    schema = table.rpartition(".")[0]
    if schema:
        con.execute(f"create schema if not exists {schema}")
    con.register("frame_to_write", frame)
    con.execute(f"create or replace table {table} as select * from frame_to_write")
    con.unregister("frame_to_write")


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = ? and "
                            "table_name = ?", [schema, table]).fetchall()[0][0])


def sql_literal(text) -> str:
    """`text` (a path, say) as a SQL string literal: in single quotes, a quote inside doubled."""
    return "'" + str(text).replace("'", "''") + "'"
