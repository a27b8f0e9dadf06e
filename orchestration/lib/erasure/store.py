"""The erasure store in the warehouse (schema `erasure`): requests, tombstones and what each erasure removed.

- `erasure.requests`: one row per request (one per address): the SHA-256 of the normalized email (and of the
  E.164 phone when given), never the address; where it came from (`microseg forget`, a suppression file's
  `erasure` row), its status (`pending` -> `erased` | `not_found`) and when and by which run it was applied.
- `erasure.tombstones`: one row per (key_type, key_sha256) the erased persons were known by: email, phone,
  contact_id, user_id, anonymous_id, order_id. Only hashes: ingest drops any later row with such a key
  (counted as `erased`), so re-loading the same export does not bring the person back.
- `erasure.removals`: per request, what was removed from where (relation or file) and how many rows.
- `erasure.dropped_at_ingest`: rows of erased persons that the last load of each dataset (each received day
  for events) read and dropped, per file: counts only.
- `erasure.compaction_due`: the requests whose deleted rows may still be on the disk: the warehouse file owes
  a compaction (lib/erasure/compaction.py, which empties this table in the file it writes).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import duckdb

from orchestration.lib.core import email_key, sha256_hex, table_exists

KEY_TYPES = ("email", "phone", "contact_id", "user_id", "anonymous_id", "order_id")

DDL = """
create schema if not exists erasure;
create table if not exists erasure.requests (
    request_id      varchar primary key,
    email_sha256    varchar,
    phone_sha256    varchar,
    source          varchar not null,
    requested_at    timestamp not null,
    status          varchar not null,
    applied_at      timestamp,
    applied_run_id  varchar,
    persons         integer
);
create table if not exists erasure.tombstones (
    key_type    varchar not null,
    key_sha256  varchar not null,
    request_id  varchar not null,
    erased_at   timestamp not null,
    primary key (key_type, key_sha256)
);
create table if not exists erasure.dropped_at_ingest (
    dataset        varchar not null,
    partition_key  varchar,
    source_file    varchar not null,
    rows           bigint not null
);
create table if not exists erasure.removals (
    request_id  varchar not null,
    location    varchar not null,
    kind        varchar not null,
    rows        bigint not null,
    applied_at  timestamp not null
);
create table if not exists erasure.compaction_due (
    request_id  varchar primary key,
    applied_at  timestamp not null
);
"""


def ensure_store(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def request_id_for(email_sha256: str | None, phone_sha256: str | None = None) -> str:
    """The id of the request for an address: the same address always gets the same id (a repeated request is
    one request), and the id does not reveal the hash it is made from."""
    basis = f"{email_sha256 or ''}|{phone_sha256 or ''}"
    return "er-" + hashlib.sha256(("microseg-erasure:" + basis).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ErasureRequest:
    """One person to forget, keyed by hashes only (from an address with `from_address`)."""

    email_sha256: str | None
    phone_sha256: str | None
    source: str

    @classmethod
    def from_address(cls, email: str | None, phone_e164: str | None, source: str) -> "ErasureRequest":
        if not (email or "").strip() and not (phone_e164 or "").strip():
            raise ValueError("an erasure request needs an email address or a phone number")
        return cls(email_key(email) if (email or "").strip() else None,
                   sha256_hex(phone_e164.strip()) if (phone_e164 or "").strip() else None, source)

    @property
    def request_id(self) -> str:
        return request_id_for(self.email_sha256, self.phone_sha256)


def add_requests(con: duckdb.DuckDBPyConnection, requests: list[ErasureRequest], now: datetime) -> list[str]:
    """Record `requests` as pending; a request already recorded (the same address) is not added again.
    Returns the ids of the requests added."""
    ensure_store(con)
    known = {r[0] for r in con.execute("select request_id from erasure.requests").fetchall()}
    added = []
    for request in requests:
        if request.request_id in known:
            continue
        con.execute("insert into erasure.requests (request_id, email_sha256, phone_sha256, source, requested_at, "
                    "status) values (?, ?, ?, ?, ?, 'pending')",
                    [request.request_id, request.email_sha256, request.phone_sha256, request.source, now])
        known.add(request.request_id)
        added.append(request.request_id)
    return added


def requests_from_suppression(con: duckdb.DuckDBPyConnection, now: datetime) -> list[str]:
    """The `erasure` rows of raw.suppression (an ESP's or CRM's deletion requests) as requests."""
    if not table_exists(con, "raw", "suppression"):
        return []
    rows = con.execute("""select email_sha256, min(source_file || ':' || line_no)
                          from raw.suppression
                          where lower(trim(reason)) = 'erasure' and email_sha256 is not null
                          group by 1 order by 2""").fetchall()
    return add_requests(con, [ErasureRequest(h, None, f"suppression {where}") for h, where in rows], now)


def pending_requests(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None, str | None, str]]:
    """(request_id, email_sha256, phone_sha256, source) of every request not applied yet, oldest first."""
    ensure_store(con)
    return con.execute("select request_id, email_sha256, phone_sha256, source from erasure.requests "
                       "where status = 'pending' order by requested_at, request_id").fetchall()


def compaction_due(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether an applied request's deleted rows may still be in the warehouse file (no compaction since)."""
    return table_exists(con, "erasure", "compaction_due") and bool(
        con.execute("select count(*) from erasure.compaction_due").fetchall()[0][0])


def has_tombstones(con: duckdb.DuckDBPyConnection) -> bool:
    return table_exists(con, "erasure", "tombstones") and bool(
        con.execute("select count(*) from erasure.tombstones").fetchall()[0][0])


def add_tombstones(con: duckdb.DuckDBPyConnection, request_id: str, keys: dict[str, set[str]],
                   now: datetime) -> int:
    """Record the hashes of `keys` (key_type -> plain values, hashed here) for `request_id`; returns how many
    were new."""
    rows = [(kind, sha256_hex(value), request_id, now)
            for kind, values in keys.items() for value in sorted(values) if value]
    before = con.execute("select count(*) from erasure.tombstones").fetchall()[0][0]
    for row in rows:
        con.execute("insert into erasure.tombstones values (?, ?, ?, ?) on conflict do nothing", row)
    return con.execute("select count(*) from erasure.tombstones").fetchall()[0][0] - before
