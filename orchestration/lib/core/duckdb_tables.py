"""Generic DuckDB helpers: a transaction as a with-block, write a frame as a table, ask whether a table exists,
quote text for SQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pandas as pd


def in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a transaction is open on `con` (a BEGIN not yet committed or rolled back). Without one, DuckDB runs
    every statement in a transaction of its own, so two statements in a row see two transaction ids."""
    first = con.execute("select current_transaction_id()").fetchall()[0][0]
    return con.execute("select current_transaction_id()").fetchall()[0][0] == first


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction for the with-block: BEGIN, COMMIT when the block ends, ROLLBACK when it raises (whatever it
    raises). A process killed inside the block leaves the database as it was before it.

    Inside a transaction already open on `con` it adds nothing (the outer one commits or rolls back), so a step
    can wrap functions that open their own. A failed statement aborts the whole transaction in DuckDB: inside
    the block, never run SQL whose error you mean to catch and carry on from (use another connection, e.g.
    `con.cursor()`). CHECKPOINT is refused inside a transaction with changes.
    """
    if in_transaction(con):
        yield con
        return
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        try:
            con.execute("rollback")
        except duckdb.Error:      # the connection is gone, or the block ended the transaction itself
            pass
        raise
    con.execute("commit")


def write_table(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """`create or replace table <schema>.<table>` with the rows of `frame` (the schema is created when missing),
    in one transaction (the caller's, when one is open)."""
    schema = table.rpartition(".")[0]
    with transaction(con):
        if schema:
            con.execute(f"create schema if not exists {schema}")
        con.register("frame_to_write", frame)
        try:
            con.execute(f"create or replace table {table} as select * from frame_to_write")
        finally:
            con.unregister("frame_to_write")


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = ? and "
                            "table_name = ?", [schema, table]).fetchall()[0][0])


def sql_literal(text) -> str:
    """`text` (a path, say) as a SQL string literal: in single quotes, a quote inside doubled."""
    return "'" + str(text).replace("'", "''") + "'"
