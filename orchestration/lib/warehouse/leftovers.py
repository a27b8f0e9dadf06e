"""The relations a killed step can leave in the warehouse, and dropping them (at the start of the next run,
under the run lock).

dbt-duckdb builds a model `m` as `m__dbt_tmp`, renames the current `m` to `m__dbt_backup` and `m__dbt_tmp` to
`m`, all inside one transaction, and drops `m__dbt_backup` after the commit, outside it (dbt's view
materialization and dbt-duckdb's table materialization). A dbt killed before the commit leaves `m` as it was
(the rollback takes `m__dbt_tmp` with it); one killed between the commit and that drop leaves `m` new and
`m__dbt_backup`, the model's previous version. `__dbt_tmp` survives only a dbt run without transactions
(`disable_transactions`); it is dropped as well. Both are dropped before dbt runs again anyway, but a
leftover backup would be counted, searched and (on erasure) purged as if it were a model.

Not dropped: dbt-duckdb's `__dbt_fk_backup` (tables rebuilt around a foreign key: one that survives a commit
may hold the only copy of its rows; microseg declares no foreign keys). Our Python steps need no temporary
names: each writes in one transaction (orchestration.lib.core.transaction), and their temp tables and
registered frames belong to their connection, gone with it.
"""

from __future__ import annotations

import duckdb

from orchestration.lib.core import transaction

LEFTOVER_SUFFIXES = ("__dbt_tmp", "__dbt_backup")

_FIND = """
select schema_name, table_name as name, 'table' as kind from duckdb_tables()
where database_name = current_database() and not temporary and not internal
union all
select schema_name, view_name, 'view' from duckdb_views()
where database_name = current_database() and not temporary and not internal
"""


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def leftovers(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(schema, name, `table` | `view`) of every relation whose name ends in a LEFTOVER_SUFFIXES suffix."""
    rows = con.execute(f"select * from ({_FIND}) order by schema_name, name").fetchall()
    return [(schema, name, kind) for schema, name, kind in rows if name.endswith(LEFTOVER_SUFFIXES)]


def drop_leftovers(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Drop the leftovers (tables and views) in one transaction; returns them as `schema.name`."""
    found = leftovers(con)
    with transaction(con):
        for schema, name, kind in found:
            con.execute(f"drop {kind} if exists {_quoted(schema)}.{_quoted(name)}")
    return [f"{schema}.{name}" for schema, name, _ in found]
