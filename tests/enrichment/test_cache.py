"""enrichment.http_cache in DuckDB, and lookup_with_cache against a real local server."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import duckdb
import pytest

from orchestration.lib.enrichment.cache import (
    TABLE,
    ensure_cache,
    fresh,
    lookup_with_cache,
    purge_expired,
    store,
)
from orchestration.lib.enrichment.http import (
    HttpPersonLookup,
    HttpProviderConfig,
    LookupOutcome,
    email_key,
)
from orchestration.resources.enrichment import api_key_from_env
from tests.helpers.enrichment_server import EnrichmentServer

ENV = "MICROSEG_ENRICHMENT_API_KEY"
NOW = datetime(2026, 11, 1, 0, 0, 0)
P = "https://person.example.com"

ANNA, BEN, NOBODY, FLAKY = "anna@example.de", "ben@example.com", "nobody@example.org", "flaky@example.net"
ANNA_DOC = {"gender": "female", "geo": {"city": "Berlin", "country": "DE"}, "confidence": 0.8}
BEN_DOC = {"gender": "male", "employment": {"name": "Blue Ltd"}}


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def found(email, **attrs):
    return LookupOutcome(email_key(email), "found", attrs, 0.7, None, 1)


def test_ensure_cache_creates_schema_and_table(con):
    ensure_cache(con)
    ensure_cache(con)                                    # idempotent
    cols = con.execute("select column_name, data_type from information_schema.columns "
                       "where table_schema = 'enrichment' and table_name = 'http_cache' "
                       "order by ordinal_position").fetchall()
    assert cols == [("provider", "VARCHAR"), ("lookup_key", "VARCHAR"), ("status", "VARCHAR"),
                    ("attributes", "VARCHAR"), ("confidence", "DOUBLE"), ("fetched_at", "TIMESTAMP"),
                    ("expires_at", "TIMESTAMP")]
    pk = con.execute("select constraint_column_names from duckdb_constraints() "
                     "where table_name = 'http_cache' and constraint_type = 'PRIMARY KEY'").fetchall()
    assert pk == [(["provider", "lookup_key"],)]


def test_store_and_fresh_roundtrip_failed_never_cached(con):
    outcomes = [found(ANNA, city="Berlin", gender="female"),
                LookupOutcome(email_key(NOBODY), "unknown", attempts=1),
                LookupOutcome(email_key(FLAKY), "failed", reason="http_503", attempts=5)]
    assert store(con, P, outcomes, NOW, ttl_days=30) == 2
    got = fresh(con, P, [email_key(e) for e in (ANNA, NOBODY, FLAKY, BEN)], NOW)
    assert set(got) == {email_key(ANNA), email_key(NOBODY)}
    assert got[email_key(ANNA)] == LookupOutcome(email_key(ANNA), "found", {"city": "Berlin", "gender": "female"},
                                                 0.7, None, 0)
    assert got[email_key(NOBODY)] == LookupOutcome(email_key(NOBODY), "unknown", {}, None, None, 0)
    rows = con.execute(f"select lookup_key, status, fetched_at, expires_at from {TABLE} order by status").fetchall()
    assert rows == [(email_key(ANNA), "found", NOW, NOW + timedelta(days=30)),
                    (email_key(NOBODY), "unknown", NOW, NOW + timedelta(days=30))]
    assert fresh(con, P, [], NOW) == {}


def test_store_upserts_and_unknown_ttl(con):
    store(con, P, [found(ANNA, city="Berlin")], NOW, ttl_days=30)
    later = NOW + timedelta(days=40)
    store(con, P, [LookupOutcome(email_key(ANNA), "unknown"), found(ANNA, city="Hamburg")], later, ttl_days=30)
    assert con.execute(f"select count(*) from {TABLE}").fetchall() == [(1,)]
    assert fresh(con, P, [email_key(ANNA)], later)[email_key(ANNA)].attributes == {"city": "Hamburg"}
    store(con, P, [LookupOutcome(email_key(NOBODY), "unknown")], NOW, ttl_days=30, unknown_ttl_days=7)
    assert con.execute(f"select expires_at from {TABLE} where status = 'unknown'").fetchall() == \
        [(NOW + timedelta(days=7),)]
    with pytest.raises(ValueError, match="ttl_days"):
        store(con, P, [found(BEN)], NOW, ttl_days=0)


def test_ttl_expiry_and_purge(con):
    store(con, P, [found(ANNA, city="Berlin")], NOW, ttl_days=10)
    store(con, P, [found(BEN, city="Leeds")], NOW + timedelta(days=5), ttl_days=10)
    keys = [email_key(ANNA), email_key(BEN)]
    assert set(fresh(con, P, keys, NOW + timedelta(days=9, hours=23))) == set(keys)
    assert set(fresh(con, P, keys, NOW + timedelta(days=10))) == {email_key(BEN)}      # expires_at > now, strict
    assert fresh(con, P, keys, NOW + timedelta(days=16)) == {}
    assert purge_expired(con, NOW + timedelta(days=10)) == 1
    assert purge_expired(con, NOW + timedelta(days=10)) == 0
    assert con.execute(f"select lookup_key from {TABLE}").fetchall() == [(email_key(BEN),)]


def test_provider_is_part_of_the_key(con):
    store(con, P, [found(ANNA, city="Berlin")], NOW, ttl_days=30)
    assert fresh(con, "https://other-vendor.example", [email_key(ANNA)], NOW) == {}
    store(con, "https://other-vendor.example", [LookupOutcome(email_key(ANNA), "unknown")], NOW, ttl_days=30)
    assert fresh(con, P, [email_key(ANNA)], NOW)[email_key(ANNA)].status == "found"
    assert fresh(con, "https://other-vendor.example", [email_key(ANNA)], NOW)[email_key(ANNA)].status == "unknown"


def test_now_as_aware_datetime_or_iso_string(con):
    store(con, P, [found(ANNA)], "2026-11-01T01:00:00+01:00", ttl_days=1)       # = NOW in UTC
    assert con.execute(f"select fetched_at from {TABLE}").fetchall() == [(NOW,)]
    assert fresh(con, P, [email_key(ANNA)], datetime(2026, 11, 1, 23, tzinfo=timezone.utc))
    assert not fresh(con, P, [email_key(ANNA)], "2026-11-02T00:00:00Z")


def test_bulk_100k_keys(con):
    n = 100_000
    outcomes = [LookupOutcome(email_key(f"p{i}@example.com"), "found" if i % 3 else "unknown",
                              {"city": f"City {i % 50}"} if i % 3 else {}, 0.5 if i % 3 else None)
                for i in range(n)]
    assert store(con, P, outcomes, NOW, ttl_days=30) == n
    assert store(con, P, outcomes, NOW + timedelta(days=1), ttl_days=30) == n          # upsert all again
    got = fresh(con, P, [o.key for o in outcomes] + ["0" * 64], NOW + timedelta(days=2))
    assert len(got) == n
    assert got[outcomes[4].key].attributes == {"city": "City 4"}
    assert con.execute(f"select count(*), min(fetched_at) from {TABLE}").fetchall() == \
        [(n, NOW + timedelta(days=1))]


# ------------------------------------------------------------------------------------------- with the server

@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv(ENV, "k")
    with EnrichmentServer(api_key="k") as srv:
        srv.add(ANNA, ANNA_DOC)
        srv.add(BEN, BEN_DOC)
        yield srv


def lookup_for(srv, **kw):
    cfg = HttpProviderConfig(srv.base_url, rate_limit=0, backoff_base=0.01, backoff_max=0.02, max_retries=2,
                             **kw)
    return HttpPersonLookup(cfg, api_key=api_key_from_env(cfg), sleep=lambda s: None, rng=random.Random(0))


def requested_keys(srv):
    return sorted(r.query["email_sha256"][0] for r in srv.requests)


def test_lookup_with_cache_second_run_calls_only_the_failed(con, server):
    server.script(FLAKY, [503, 503, 503])
    emails = [ANNA, BEN, NOBODY, FLAKY, ANNA.upper()]
    outcomes, report, hits = lookup_with_cache(con, lookup_for(server), emails, NOW, ttl_days=30)
    assert hits == 0 and report.calls == 3 + 3
    assert list(outcomes) == [email_key(e) for e in (ANNA, BEN, NOBODY, FLAKY)]
    assert [o.status for o in outcomes.values()] == ["found", "found", "unknown", "failed"]
    assert outcomes[email_key(ANNA)].attributes == {"gender": "female", "city": "Berlin", "country": "DE"}
    # no raw emails anywhere in the cache
    dump = con.execute(f"select * from {TABLE}").fetchall()
    assert len(dump) == 3 and "@" not in repr(dump)

    server.reset_log()
    outcomes2, report2, hits2 = lookup_with_cache(con, lookup_for(server), emails, NOW + timedelta(days=1), 30)
    assert hits2 == 3
    assert requested_keys(server) == [email_key(FLAKY)] and report2.calls == 1
    assert outcomes2[email_key(FLAKY)].status == "unknown"               # the script ran out: answered now
    assert outcomes2[email_key(ANNA)] == LookupOutcome(email_key(ANNA), "found", outcomes[email_key(ANNA)].attributes,
                                                       0.8, None, 0)

    server.reset_log()
    _, report3, hits3 = lookup_with_cache(con, lookup_for(server), emails, NOW + timedelta(days=2), 30)
    assert hits3 == 4 and server.request_count() == 0 and report3.calls == 0 and report3.outcomes == []


def test_lookup_with_cache_all_cached_needs_no_api_key(con, server, monkeypatch):
    lookup_with_cache(con, lookup_for(server), [ANNA, NOBODY], NOW, ttl_days=30)
    monkeypatch.delenv(ENV)
    outcomes, report, hits = lookup_with_cache(con, lookup_for(server), [ANNA, NOBODY], NOW, ttl_days=30)
    assert hits == 2 and report.calls == 0 and len(outcomes) == 2


def test_lookup_with_cache_ttl_expiry_calls_again(con, server):
    lookup_with_cache(con, lookup_for(server), [ANNA, NOBODY], NOW, ttl_days=30)
    server.reset_log()
    _, report, hits = lookup_with_cache(con, lookup_for(server), [ANNA, NOBODY], NOW + timedelta(days=30), 30)
    assert hits == 0 and report.calls == 2
    assert requested_keys(server) == sorted([email_key(ANNA), email_key(NOBODY)])
    rows = con.execute(f"select distinct fetched_at from {TABLE}").fetchall()
    assert rows == [(NOW + timedelta(days=30),)]


def test_lookup_with_cache_provider_change_does_not_reuse(con, server, monkeypatch):
    lookup_with_cache(con, lookup_for(server), [ANNA, NOBODY], NOW, ttl_days=30)
    with EnrichmentServer(api_key="k") as other:
        other.add(NOBODY, {"gender": "female"})
        outcomes, report, hits = lookup_with_cache(con, lookup_for(other), [ANNA, NOBODY], NOW, ttl_days=30)
        assert hits == 0 and other.request_count() == 2
    assert outcomes[email_key(ANNA)].status == "unknown" and outcomes[email_key(NOBODY)].status == "found"
    assert con.execute(f"select count(distinct provider) from {TABLE}").fetchall() == [(2,)]
