"""Remove a footprint from every table of the warehouse, by what its columns hold.

Not a list of tables: any base table with a column below loses the rows that match, so a table added later
(a sync ledger, an outbox) is covered the day it lands. Views need nothing: they read the tables.

Kept on purpose, and said so in the erasure report: the `erasure` schema itself (hashes only),
`raw.suppression` (hashes only: the request itself, and the person's unsubscribes), and segment history and
membership, which keep the pseudonymous person_id (the next segments step moves the person out).
"""

from __future__ import annotations

import re

import duckdb

from orchestration.lib.core import sha256_hex
from orchestration.lib.erasure.footprint import Footprint, named_params

KEPT = {("raw", "suppression"), ("raw", "event_files"), ("segments", "segment_history"),
        ("segments", "segment_membership")}
KEPT_SCHEMAS = {"erasure"}

# column name -> which values of the footprint it is matched against
ID_COLUMNS = {"person_id": "person_ids", "contact_id": "contact_ids", "left_id": "contact_ids",
              "right_id": "contact_ids", "user_id": "user_ids", "anonymous_id": "anonymous_ids",
              "id_value": "all_ids", "order_id": "order_ids"}
EMAIL_COLUMNS = {"email", "trait_email", "left_email", "right_email"}
EMAIL_HASH_COLUMNS = {"email_hash", "lookup_key", "email_sha256"}
PHONE_COLUMNS = {"phone", "phone_raw", "phone_e164", "left_phone_e164", "right_phone_e164"}
PHONE_HASH_COLUMNS = {"phone_hash", "phone_sha256"}
TEXT_COLUMNS = {"raw_line"}


def _values(fp: Footprint) -> dict[str, list[str]]:
    all_ids = fp.contact_ids | fp.user_ids | fp.anonymous_ids
    return {"person_ids": fp.person_ids, "contact_ids": fp.contact_ids, "user_ids": fp.user_ids,
            "anonymous_ids": fp.anonymous_ids, "all_ids": all_ids, "order_ids": fp.order_ids,
            "emails": fp.emails, "email_hashes": {sha256_hex(e) for e in fp.emails},
            "phones": fp.phones, "phone_hashes": {sha256_hex(p) for p in fp.phones}}


def text_pattern(values: set[str]) -> str | None:
    """A case-insensitive RE2 pattern matching any of `values` as a whole token of free text (a full stop
    may end the sentence after it, but `anna@example.com` is not in `anna@example.com.au` nor `C100` in `C100.5`)."""
    if not values:
        return None
    alternatives = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    return rf"(?i)(^|[^A-Za-z0-9_@.+\-])({alternatives})(\.*(?:[^A-Za-z0-9_@.+\-]|$))"


def _conditions(columns: list[str], values: dict[str, list[str]], pattern: str | None,
                params: dict) -> list[str]:
    conds = []
    for col in columns:
        name, quoted = col.lower(), '"' + col.replace('"', '""') + '"'
        if name in ID_COLUMNS:
            key = ID_COLUMNS[name]
            conds.append(f"cast({quoted} as varchar) in (select unnest(${key}))")
        elif name in EMAIL_COLUMNS:
            conds.append(f"lower(trim(cast({quoted} as varchar))) in (select unnest($emails))")
        elif name in EMAIL_HASH_COLUMNS:
            conds.append(f"cast({quoted} as varchar) in (select unnest($email_hashes))")
        elif name in PHONE_COLUMNS:
            conds.append(f"trim(cast({quoted} as varchar)) in (select unnest($phones))")
        elif name in PHONE_HASH_COLUMNS:
            conds.append(f"cast({quoted} as varchar) in (select unnest($phone_hashes))")
        elif name in TEXT_COLUMNS and pattern:
            params["pattern"] = pattern
            conds.append(f"regexp_matches(cast({quoted} as varchar), $pattern)")
    return conds


def personal_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, list[str]]]:
    """(schema, table, columns) of every base table the purge looks at."""
    rows = con.execute("""select t.table_schema, t.table_name, list(c.column_name order by c.ordinal_position)
                          from information_schema.tables t
                          join information_schema.columns c using (table_catalog, table_schema, table_name)
                          where t.table_type = 'BASE TABLE' and t.table_catalog = current_database()
                          group by all order by all""").fetchall()
    return [(s, t, cols) for s, t, cols in rows if s not in KEPT_SCHEMAS and (s, t) not in KEPT]


def purge_tables(con: duckdb.DuckDBPyConnection, fp: Footprint) -> dict[str, int]:
    """Delete the footprint's rows from every table; returns rows removed per `schema.table` (only where > 0).
    Quarantined lines that name the person join `fp.landing_rows` (their file and line are in the landing)."""
    values = {k: sorted(v) for k, v in _values(fp).items()}
    pattern = text_pattern(fp.texts())
    removed: dict[str, int] = {}
    for schema, table, columns in personal_tables(con):
        params = dict(values)
        conds = _conditions(columns, values, pattern, params)
        if not conds:
            continue
        where = " or ".join(f"coalesce({c}, false)" for c in conds)
        used = named_params(where, params)
        relation = f'"{schema}"."{table}"'
        if schema == "quarantine" and {"source_file", "line_no"} <= set(columns):
            dataset = "dataset" if "dataset" in columns else "'events'"
            fp.landing_rows |= set(con.execute(f"select {dataset}, source_file, line_no from {relation} "
                                               f"where {where}", used).fetchall())
        n = con.execute(f"delete from {relation} where {where}", used).fetchall()[0][0]
        if n:
            removed[f"{schema}.{table}"] = n
    return removed
