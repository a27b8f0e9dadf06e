"""SQL that tells, at ingest, whether a row belongs to someone already erased (a tombstone matches it).

Such a row is never written, not even to quarantine; the loaders count it as `erased`
(read = kept + quarantined + redelivered + erased). Valid rows are matched by their keys, hashed as the
tombstones are; a line too broken to parse is matched by any token of its text (an address, an id).
Without tombstones every expression is plain `false`, so ingest pays nothing.
"""

from __future__ import annotations

import duckdb

from orchestration.lib.erasure.store import ensure_store, has_tombstones

# raw column -> (tombstone key type, how the value is normalized before hashing)
KEYED_COLUMNS = {
    "contact_id": ("contact_id", "trim({})"),
    "order_id": ("order_id", "trim({})"),
    "email": ("email", "lower(trim({}))"),
    "user_id": ("user_id", "{}"),
    "anonymous_id": ("anonymous_id", "{}"),
}
TOKEN = r"[A-Za-z0-9_.@+\-]+"


def _tombstoned(key_type: str, expr: str) -> str:
    return (f"coalesce(sha256({expr}) in (select key_sha256 from erasure.tombstones "
            f"where key_type = '{key_type}'), false)")


def row_erased_sql(con: duckdb.DuckDBPyConnection, columns: list[str], extra: dict[str, str] | None = None) -> str:
    """A boolean SQL expression over a row with `columns` (text), true when one of its keys is tombstoned.
    `extra` adds key_type -> SQL expression pairs (an email inside a JSON column, say)."""
    if not has_tombstones(con):
        return "false"
    conds = [_tombstoned(kind, norm.format(f'"{col}"')) for col, (kind, norm) in KEYED_COLUMNS.items()
             if col in columns]
    conds += [_tombstoned(kind, f"lower(trim({expr}))" if kind == "email" else expr)
              for kind, expr in (extra or {}).items()]
    return "(" + " or ".join(conds) + ")" if conds else "false"


def text_erased_sql(con: duckdb.DuckDBPyConnection, column: str) -> str:
    """A boolean SQL expression, true when a token of the free text `column` hashes to any tombstone."""
    if not has_tombstones(con):
        return "false"
    tokens = f"regexp_extract_all(coalesce({column}, ''), '{TOKEN}')"
    return (f"coalesce(list_has_any(list_transform({tokens}, lambda t: sha256(t)) || "
            f"list_transform({tokens}, lambda t: sha256(lower(t))), "
            "(select list(key_sha256) from erasure.tombstones)), false)")


def record_dropped(con: duckdb.DuckDBPyConnection, dataset: str, partition_keys: list[str] | None,
                   where: str) -> None:
    """Replace the drop counts of `dataset` (of `partition_keys` only, for a partitioned one) by the rows of
    the temp table / query `where` gives: (partition_key, source_file, rows)."""
    if not has_tombstones(con):
        return
    ensure_store(con)
    if partition_keys is None:
        con.execute("delete from erasure.dropped_at_ingest where dataset = ?", [dataset])
    else:
        con.execute("delete from erasure.dropped_at_ingest where dataset = $dataset and partition_key in "
                    "(select unnest($keys))", {"dataset": dataset, "keys": partition_keys})
    con.execute(f"insert into erasure.dropped_at_ingest select $dataset, * from ({where}) where rows > 0",
                {"dataset": dataset})
