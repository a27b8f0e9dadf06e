"""Apply the pending erasure requests: find each person, purge every table and file, keep the tombstones.

All the requests of a run in one transaction: each request is either applied whole and marked `erased` (or
`not_found`: nobody held the address; its hash is still kept, so data arriving later is dropped), or, when the
run fails or is killed before the commit, left pending for the next run with every table as it was.

The files are redacted before the commit (each rewritten whole: lib/core/files.py), because only the
footprint the purge deletes says what to look for in them. A run killed after redacting but before the commit
leaves the request pending and the tables untouched; the next run finds the person again and finishes (its
report then counts no file: they no longer name the person). Applied requests owe a compaction of the
warehouse file (`erasure.compaction_due`, cleared by compact_database in the file it writes), so a run
killed before or during the compaction has it done by the next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.lib.core import failpoint, table_exists, transaction
from orchestration.lib.erasure.files import redact_files
from orchestration.lib.erasure.footprint import Footprint, find_footprint
from orchestration.lib.erasure.purge import KEPT, purge_tables
from orchestration.lib.erasure.store import add_tombstones, ensure_store, pending_requests, requests_from_suppression


@dataclass
class ErasureResult:
    """What one request removed, from where, and what remains (for the person's data-protection record)."""

    request_id: str
    source: str
    status: str                                   # erased | not_found
    applied_at: datetime
    run_id: str | None
    persons: int = 0
    tables: dict[str, int] = field(default_factory=dict)     # schema.table -> rows removed
    files: dict[str, int] = field(default_factory=dict)      # path -> rows or mentions removed
    tombstones: dict[str, int] = field(default_factory=dict)  # key type -> hashes kept
    pseudonymous: dict[str, int] = field(default_factory=dict)  # schema.table -> rows keeping a person_id
    landing: dict[str, list[int]] = field(default_factory=dict)  # landing file -> lines still naming them

    @property
    def rows_removed(self) -> int:
        return sum(self.tables.values())


def _pseudonymous_rows(con, fp: Footprint) -> dict[str, int]:
    kept = {}
    for schema, table in sorted(KEPT):
        if schema == "segments" and table_exists(con, schema, table):
            n = con.execute(f"select count(*) from {schema}.{table} where person_id in (select unnest($p))",
                            {"p": sorted(fp.person_ids)}).fetchall()[0][0]
            if n:
                kept[f"{schema}.{table}"] = n
    return kept


def _record_removals(con, request_id: str, kind: str, removed: dict[str, int], now: datetime) -> None:
    for location, n in removed.items():
        con.execute("insert into erasure.removals values (?, ?, ?, ?, ?)", [request_id, location, kind, n, now])


def _apply_one(con, request: tuple, now: datetime, run_id: str | None, folders: list[Path]) -> ErasureResult:
    request_id, email_hash, phone_hash, source = request
    fp = find_footprint(con, {email_hash} - {None}, {phone_hash} - {None})
    result = ErasureResult(request_id, source, "erased" if fp.found else "not_found", now, run_id,
                           persons=len(fp.person_ids))
    result.tables = purge_tables(con, fp)
    failpoint("erasure.purge")
    result.pseudonymous = _pseudonymous_rows(con, fp)
    keys = {"email": fp.emails, "phone": fp.phones, **fp.ids(), "order_id": fp.order_ids}
    add_tombstones(con, request_id, keys, now)
    for kind, digest in (("email", email_hash), ("phone", phone_hash)):
        if digest:
            con.execute("insert into erasure.tombstones values (?, ?, ?, ?) on conflict do nothing",
                        [kind, digest, request_id, now])
    result.tombstones = dict(con.execute("select key_type, count(*) from erasure.tombstones "
                                         "where request_id = ? group by 1 order by 1", [request_id]).fetchall())
    con.execute("update erasure.requests set status = ?, applied_at = ?, applied_run_id = ?, persons = ? "
                "where request_id = ?", [result.status, now, run_id, result.persons, request_id])
    _record_removals(con, request_id, "table", result.tables, now)
    if result.tables:
        con.execute("insert into erasure.compaction_due values (?, ?) on conflict do nothing", [request_id, now])
    result.files = redact_files(folders, fp)
    _record_removals(con, request_id, "file", result.files, now)
    for _dataset, file, line in sorted(fp.landing_rows):
        result.landing.setdefault(file, []).append(int(line))
    return result


def apply_erasures(con: duckdb.DuckDBPyConnection, now: datetime, run_id: str | None,
                   folders: list[Path], progress=None) -> list[ErasureResult]:
    """Turn the suppression list's `erasure` rows into requests, then apply every pending request, all in one
    transaction (module docstring)."""
    progress = progress or (lambda _: None)
    results = []
    with transaction(con):
        ensure_store(con)
        added = requests_from_suppression(con, now)
        if added:
            progress(f"{len(added)} new erasure request(s) from the suppression list")
        for request in pending_requests(con):
            result = _apply_one(con, request, now, run_id, folders)
            progress(f"erasure {result.request_id}: {result.status}, {result.rows_removed:,} rows from "
                     f"{len(result.tables)} tables, {len(result.files)} files")
            results.append(result)
    return results
