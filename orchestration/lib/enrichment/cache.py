"""Cache of HTTP person-lookup answers in the DuckDB warehouse: `enrichment.http_cache`.

One row per (provider, lookup_key): provider is the provider's base_url (switching vendor does not reuse
answers), lookup_key the SHA-256 `email_key` (never a raw email). Only answers are cached: `found` (mapped
attributes as JSON text + confidence) and `unknown`; `failed` lookups are never stored, so the next run
retries exactly those. Rows are fresh while `expires_at > now`; `now` is passed in (the pipeline uses the
run's as_of) and is stored as naive UTC. Bulk operations go through a registered DataFrame, not per-row
statements (100k keys in one call). Attributes are the mapped ones: a changed field_mapping takes effect
as rows expire (or after `purge_expired` / deleting the provider's rows).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pandas as pd

from orchestration.lib.core import to_utc
from orchestration.lib.enrichment.http.client import HttpPersonLookup
from orchestration.lib.enrichment.http.results import LookupOutcome, LookupReport, email_key
from orchestration.lib.enrichment.warehouse import registered

TABLE = "enrichment.http_cache"
CACHED_STATUSES = ("found", "unknown")

_DDL = f"""
create schema if not exists enrichment;
create table if not exists {TABLE} (
    provider    varchar   not null,
    lookup_key  varchar   not null,
    status      varchar   not null check (status in ('found', 'unknown')),
    attributes  varchar   not null,   -- JSON object text: our attribute name -> value
    confidence  double,
    fetched_at  timestamp not null,
    expires_at  timestamp not null,
    primary key (provider, lookup_key)
);
"""


def ensure_cache(con) -> None:
    con.execute(_DDL)


def fresh(con, provider: str, keys, now) -> dict[str, LookupOutcome]:
    """Cached answers for `keys` at `provider` that have not expired at `now` (expires_at > now)."""
    ensure_cache(con)
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    df = pd.DataFrame({"lookup_key": pd.Series(wanted, dtype=object)})
    with registered(con, df, "_enrich_cache") as view:
        rows = con.execute(
            f"""select c.lookup_key, c.status, c.attributes, c.confidence
                from {TABLE} c join (select distinct lookup_key from {view}) k using (lookup_key)
                where c.provider = $provider and c.expires_at > $now""",
            {"provider": provider, "now": to_utc(now)}).fetchall()
    out = {}
    for key, status, attributes, confidence in rows:
        attrs = json.loads(attributes) if attributes else {}
        out[key] = LookupOutcome(key=key, status=status, attributes={str(k): str(v) for k, v in attrs.items()},
                                 confidence=confidence if status == "found" else None, reason=None, attempts=0)
    return out


def store(con, provider: str, outcomes, now, ttl_days: float, *, unknown_ttl_days: float | None = None) -> int:
    """Upsert found/unknown outcomes (failed ones are skipped); returns the number of rows written.

    Rows expire `ttl_days` after `now` (`unknown_ttl_days` for unknown answers, default the same).
    """
    if not (isinstance(ttl_days, (int, float)) and ttl_days > 0):
        raise ValueError(f"ttl_days: expected a number > 0, got {ttl_days!r}")
    if unknown_ttl_days is not None and not (isinstance(unknown_ttl_days, (int, float)) and unknown_ttl_days > 0):
        raise ValueError(f"unknown_ttl_days: expected a number > 0, got {unknown_ttl_days!r}")
    ensure_cache(con)
    now = to_utc(now)
    found_expiry = now + timedelta(days=ttl_days)
    unknown_expiry = now + timedelta(days=unknown_ttl_days if unknown_ttl_days is not None else ttl_days)
    latest: dict[str, LookupOutcome] = {}
    for o in outcomes:
        if o.status in CACHED_STATUSES:
            latest[o.key] = o                   # last one wins: no duplicate keys in one upsert
    if not latest:
        return 0
    rows = list(latest.values())
    df = pd.DataFrame({
        "lookup_key": pd.Series([o.key for o in rows], dtype=object),
        "status": pd.Series([o.status for o in rows], dtype=object),
        "attributes": pd.Series([json.dumps(o.attributes if o.status == "found" else {}, sort_keys=True,
                                            ensure_ascii=False) for o in rows], dtype=object),
        "confidence": pd.Series([o.confidence if o.status == "found" else None for o in rows], dtype="float64"),
        "expires_at": pd.Series([found_expiry if o.status == "found" else unknown_expiry for o in rows],
                                dtype="datetime64[us]"),
    })
    with registered(con, df, "_enrich_cache") as view:
        # one statement (atomic on its own, fine inside a caller's transaction); keys are distinct
        con.execute(
            f"""insert or replace into {TABLE}
                    (provider, lookup_key, status, attributes, confidence, fetched_at, expires_at)
                select $provider, lookup_key, status, attributes, confidence, $now, expires_at from {view}""",
            {"provider": provider, "now": now})
    return len(rows)


def fetched_at(con, provider: str, keys) -> dict[str, datetime]:
    """When the cached answer of each of `keys` at `provider` was obtained (naive UTC), by lookup key;
    keys without a cached row are left out. Expiry is not checked."""
    found = pd.DataFrame({"lookup_key": list(keys)}, dtype="string")
    with registered(con, found, "found_lookup_keys") as view:
        return dict(con.execute(
            f"select c.lookup_key, c.fetched_at from {TABLE} c "
            f"inner join {view} f on f.lookup_key = c.lookup_key where c.provider = ?",
            [provider]).fetchall())


def purge_expired(con, now) -> int:
    """Delete rows with expires_at <= now; returns how many were deleted."""
    ensure_cache(con)
    rows = con.execute(f"delete from {TABLE} where expires_at <= $now", {"now": to_utc(now)}).fetchall()
    return int(rows[0][0]) if rows else 0


def lookup_with_cache(con, lookup: HttpPersonLookup, emails, now, ttl_days: float, *,
                      unknown_ttl_days: float | None = None) -> tuple[dict[str, LookupOutcome], LookupReport, int]:
    """Answer every email from the cache where fresh, from the provider otherwise; store the new answers.

    Returns (outcomes by email_key for every distinct email, the provider run's report, cache hits).
    When every key is cached the provider is not called (and no API key is needed): the report is empty.
    """
    provider = lookup.config.provider_id
    by_key: dict[str, str] = {}
    for email in emails:
        by_key.setdefault(email_key(str(email)), str(email))
    cached = fresh(con, provider, by_key.keys(), now)
    misses = [email for key, email in by_key.items() if key not in cached]
    if misses:
        report = lookup.lookup_many(misses)
        store(con, provider, report.outcomes, now, ttl_days, unknown_ttl_days=unknown_ttl_days)
    else:
        report = LookupReport(outcomes=[], provider=provider)
    outcomes = dict(cached)
    for o in report.outcomes:
        outcomes[o.key] = o
    ordered = {key: outcomes[key] for key in by_key if key in outcomes}
    return ordered, report, len(cached)
