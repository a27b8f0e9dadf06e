"""GE 1.x's SQL datasource on an open DuckDB connection: a gate runs its expectations as SQL in the warehouse.

GE talks to DuckDB through SQLAlchemy and the duckdb-engine dialect. Two things make that dialect unusable as GE
uses it out of the box, and this module handles both:
- A second connection to the warehouse file opened with another configuration fails ("Can't open a connection
  to same database file with a different configuration"): duckdb-engine adds its own user agent to the config.
  So GE's connections are cursors of the run's own connection (same database instance, same settings).
- duckdb-engine's cursor is the connection itself, and GE reads a result after it returned the connection to
  the pool, which rolls back and so drops the pending result. The gates only read: their connections run in
  DuckDB's autocommit, and SQLAlchemy's begin / commit / rollback do nothing on them.
Every cursor handed to GE is closed when the block ends: the warehouse file is left as the caller had it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import duckdb


@contextlib.contextmanager
def gx_sql_datasource_kwargs(con: duckdb.DuckDBPyConnection) -> Iterator[dict]:
    """`kwargs` for GE's `data_sources.add_sql(..., connection_string=SQLALCHEMY_URL, kwargs=...)` whose
    connections are cursors of `con`; closed at the end of the block."""
    opened: list = []
    creator = _creator(con, opened)
    try:
        yield {"creator": creator}
    finally:
        for wrapper in opened:
            with contextlib.suppress(duckdb.Error):
                wrapper.close()


# the URL names the dialect only: the connections come from the creator
SQLALCHEMY_URL = "duckdb:///:memory:"


def _creator(con: duckdb.DuckDBPyConnection, opened: list) -> Callable[[], object]:
    import duckdb_engine

    class ReadOnlyAutocommit(duckdb_engine.ConnectionWrapper):
        """A cursor of the run's connection as SQLAlchemy's DBAPI connection: statements run in autocommit."""

        def begin(self) -> None:
            pass

        def commit(self) -> None:
            pass

        def rollback(self) -> None:
            pass

    def create():
        cursor = con.cursor()
        cursor.execute("set TimeZone = 'UTC'")
        wrapper = ReadOnlyAutocommit(cursor)
        opened.append(wrapper)
        return wrapper

    return create
