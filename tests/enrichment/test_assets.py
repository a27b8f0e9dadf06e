"""Real Dagster materializations of the enrichment assets (orchestration/assets/enrichment.py).

Every test builds its own DuckDB warehouse by hand (marts.profiles_cleaned, and for the inference asset
enrichment.enrichment_features / enrichment.enrichment_labels) and materializes only the enrichment assets:
their dbt upstreams (profiles_cleaned, enrichment_features, enrichment_labels) are not in the job, so
`dg.materialize` treats them as external. The http provider talks to a real threaded HTTP server on
127.0.0.1 (tests/helpers/enrichment_server.py); nothing of ours is mocked.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
from dagster_duckdb import DuckDBResource

from orchestration.assets.enrichment import (
    inferred_attributes,
    reference_attributes,
    third_party_attributes,
)
from orchestration.lib.enrichment.http import email_key
from orchestration.resources.enrichment import EnrichmentResource
from orchestration.resources.settings import MicrosegResource
from tests.helpers.enrichment_server import EnrichmentServer, Reply

pytestmark = pytest.mark.slow          # every test materializes Dagster assets
ENV = "MICROSEG_ENRICHMENT_API_KEY"
KEY = "test-key"
AS_OF = "2026-11-01T00:00:00Z"
AS_OF_NAIVE = pd.Timestamp("2026-11-01 00:00:00")
THIRD_PARTY = dg.AssetKey(["enrichment", "third_party_attributes"])
REFERENCE = dg.AssetKey(["enrichment", "reference_attributes"])
INFERRED = dg.AssetKey(["enrichment", "inferred_attributes"])
PROFILE_COLUMNS = ["person_id", "email", "first_name", "city", "country", "gender", "is_suppressed", "is_erased"]


# ------------------------------------------------------------------------------------------- helpers

def profile(person_id, email=None, first_name=None, city=None, country=None, gender=None,
            suppressed=False, erased=False) -> dict:
    return dict(person_id=person_id, email=email, first_name=first_name, city=city, country=country,
                gender=gender, is_suppressed=suppressed, is_erased=erased)


def write_profiles(path: Path, rows: list[dict]) -> None:
    frame = pd.DataFrame(rows, columns=PROFILE_COLUMNS)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.register("profiles_input", frame)
        con.execute("""
            create or replace table marts.profiles_cleaned as
            select cast(person_id as varchar) as person_id, cast(email as varchar) as email,
                   cast(first_name as varchar) as first_name, cast(city as varchar) as city,
                   cast(country as varchar) as country, cast(gender as varchar) as gender,
                   cast(is_suppressed as boolean) as is_suppressed, cast(is_erased as boolean) as is_erased
            from profiles_input""")
        con.unregister("profiles_input")


def table(path: Path, name: str) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"select * from enrichment.{name} order by person_id, attribute").df()


def http_resource(srv: EnrichmentServer, inference_min_confidence: float = 0.7, **http) -> EnrichmentResource:
    settings = dict(base_url=srv.base_url, backoff_base=0.01, backoff_max=0.05, rate_limit=0,
                    connect_timeout=1.0, read_timeout=3.0, max_retries=2, concurrency=3)
    settings.update(http)
    return EnrichmentResource(provider="http", http=settings,
                              inference_min_confidence=inference_min_confidence)


def materialize(assets, warehouse: Path, tmp_path: Path, enrichment: EnrichmentResource,
                instance: dg.DagsterInstance | None = None) -> dg.ExecuteInJobResult:
    resources = {
        "duckdb": DuckDBResource(database=str(warehouse)),
        "microseg": MicrosegResource(landing=str(tmp_path / "landing"), reports=str(tmp_path / "reports"),
                                     as_of=AS_OF),
        "enrichment": enrichment,
    }
    return dg.materialize(assets, resources=resources, instance=instance or dg.DagsterInstance.ephemeral(),
                          raise_on_error=False)


def metadata(result, key: dg.AssetKey) -> dict:
    """The materialization's metadata as plain values (JSON metadata as its data)."""
    events = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    assert len(events) == 1, f"expected one materialization of {key.to_user_string()}, got {len(events)}"
    out = {}
    for name, value in events[0].materialization.metadata.items():
        out[name] = value.data if isinstance(value, dg.JsonMetadataValue) else value.value
    return out


def failure_text(result) -> str:
    """Every error message (with causes) of the run's failed steps."""
    texts = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None:
                texts.append(error.message)
                error = error.cause
    return "\n".join(texts)


def requested_keys(srv: EnrichmentServer) -> list[str]:
    return [r.query["email_sha256"][0] for r in srv.requests if "email_sha256" in r.query]


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv(ENV, KEY)
    with EnrichmentServer(api_key=KEY) as srv:
        yield srv


# ------------------------------------------------------------------------------------------- http provider

ANNA, BEA, CARL, DORA, NOBODY = ("anna@example.de", "bea@example.com", "carl@example.org", "dora@example.net",
                                 "nobody@example.org")
SUPPRESSED, SUPPRESSED_UNKNOWN, ERASED = "sup@example.com", "sup2@example.com", "gone@example.com"

VENDOR = {
    ANNA: {"id": "v1", "gender": "F", "geo": {"city": "Berlin", "country": "DE"},
           "employment": {"name": "Acme GmbH", "domain": "acme.de", "title": "Buyer", "seniority": "manager"},
           "age_range": "25-34", "confidence": 0.87},
    BEA: {"id": "v2", "gender": "Female", "geo": {"country": "Germany"}, "age_range": "35-44", "confidence": 0.6},
    # nothing valid but the city: not a gender, not an age band, not a country
    CARL: {"id": "v3", "gender": "banana", "age_range": "young", "geo": {"city": "Springfield", "country": "Atlantis"},
           "confidence": 0.5},
    DORA: {"id": "v4", "gender": "male"},                                   # no confidence: default 0.9
    SUPPRESSED: {"id": "v5", "gender": "female", "confidence": 0.99},
    ERASED: {"id": "v6", "gender": "male", "confidence": 0.99},
}

HTTP_PROFILES = [
    profile("P01", ANNA, "Anna", "Berlin", "DE"),
    profile("P02", " Bea@Example.com ", "Bea"),                              # trimmed/lower-cased for the key
    profile("P03", CARL, "Carl"),
    profile("P04", DORA, "Dora"),
    profile("P05", NOBODY, "Nobody"),
    profile("P06", SUPPRESSED, "Sue", suppressed=True),
    profile("P07", SUPPRESSED_UNKNOWN, "Sam", suppressed=True),
    # profiles_cleaned NULLs an erased person's email; kept here to prove the asset's own filter
    profile("P08", ERASED, "Gone", suppressed=True, erased=True),
    profile("P09", None, "Noemail"),
]


def vendor_server(srv: EnrichmentServer) -> None:
    for email, doc in VENDOR.items():
        srv.add(email, doc)


def test_http_provider_writes_checked_values_with_provenance(server, warehouse, tmp_path):
    vendor_server(server)
    write_profiles(warehouse, HTTP_PROFILES)
    result = materialize([third_party_attributes], warehouse, tmp_path, http_resource(server))
    assert result.success, failure_text(result)

    written = table(warehouse, "third_party_attributes")
    got = {(r.person_id, r.attribute): (r.value, r.confidence) for r in written.itertuples()}
    assert got == {
        ("P01", "age_band"): ("25-34", 0.87), ("P01", "city"): ("Berlin", 0.87),
        ("P01", "company_domain"): ("acme.de", 0.87), ("P01", "company_name"): ("Acme GmbH", 0.87),
        ("P01", "country"): ("DE", 0.87), ("P01", "gender"): ("female", 0.87),     # "F" normalized
        ("P01", "job_title"): ("Buyer", 0.87), ("P01", "seniority"): ("manager", 0.87),
        ("P02", "age_band"): ("35-44", 0.6), ("P02", "country"): ("DE", 0.6),      # "Germany" -> ISO
        ("P02", "gender"): ("female", 0.6),                                        # "Female" normalized
        ("P03", "city"): ("Springfield", 0.5),                                     # banana/young/Atlantis dropped
        ("P04", "gender"): ("male", 0.9),                                          # default confidence
    }
    assert set(written["source"]) == {server.base_url}
    assert set(pd.to_datetime(written["obtained_at"])) == {AS_OF_NAIVE}
    # unknown (404), suppressed, erased and email-less persons get nothing
    assert not set(written["person_id"]) & {"P05", "P06", "P07", "P08", "P09"}

    meta = metadata(result, THIRD_PARTY)
    assert meta["provider"] == "http" and meta["dagster/row_count"] == len(written) == 13
    assert meta["failed_lookups"] == 0 and meta["cache_hits"] == 0 and meta["circuit_breaker_opened"] is False
    lookups = meta["lookups"]
    assert lookups["invalid_values"] == {"age_band": 1, "country": 1, "gender": 1}
    assert (lookups["found"], lookups["unknown"], lookups["failed"]) == (4, 1, 0)
    assert lookups["persons_with_email"] == 5 and lookups["calls"] == 5
    assert lookups["persons_by_status"] == {"found": 4, "unknown": 1}
    assert meta["values_by_attribute"] == {"age_band": 2, "city": 2, "company_domain": 1, "company_name": 1,
                                           "country": 2, "gender": 3, "job_title": 1, "seniority": 1}


def test_suppressed_and_erased_never_sent_and_only_hashes_on_the_wire(server, warehouse, tmp_path):
    vendor_server(server)
    write_profiles(warehouse, HTTP_PROFILES)
    result = materialize([third_party_attributes], warehouse, tmp_path, http_resource(server))
    assert result.success, failure_text(result)

    sent = requested_keys(server)
    assert len(sent) == len(server.requests) == 5                # one request per eligible person
    assert sorted(sent) == sorted(email_key(e) for e in (ANNA, BEA, CARL, DORA, NOBODY))
    for email in (SUPPRESSED, SUPPRESSED_UNKNOWN, ERASED):
        assert email_key(email) not in sent
    for req in server.requests:
        assert req.path == "/v2/people/find" and set(req.query) == {"email_sha256"}
        assert req.headers["Authorization"] == f"Bearer {KEY}"
        wire = req.raw_query + json.dumps(req.headers)
        assert "@" not in wire and "%40" not in wire and "example" not in wire.lower()
    # the cache holds hashes only
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cached = con.execute("select lookup_key, status from enrichment.http_cache").fetchall()
    assert sorted(k for k, _ in cached) == sorted(sent)
    assert all("@" not in k for k, _ in cached)


# ------------------------------------------------------------------------------------------- faults and cache

def test_faults_counted_not_written_cached_answers_reused_failures_retried(server, warehouse, tmp_path):
    ok = [f"ok{i}@shop.test" for i in range(4)]
    unknown = [f"unk{i}@shop.test" for i in range(2)]
    down = [f"down{i}@shop.test" for i in range(3)]           # 503 always (two runs' worth), then healed
    html = [f"html{i}@shop.test" for i in range(2)]           # an HTML 200 page (two runs' worth), then healed
    for e in ok + down + html:
        server.add(e, {"gender": "female", "age_range": "45-54", "confidence": 0.8})
    max_retries = 2
    for e in down:                                            # 1 + max_retries attempts per run
        server.script(e, [503] * (2 * (1 + max_retries)))
    for e in html:                                            # a malformed 200 is retried once per run
        server.script(e, [Reply.html(200) for _ in range(2 * 2)])
    emails = ok + unknown + down + html
    write_profiles(warehouse, [profile(f"P{i:02d}", e) for i, e in enumerate(emails)])
    person = {email_key(e): f"P{i:02d}" for i, e in enumerate(emails)}
    failed_persons = {person[email_key(e)] for e in down + html}
    answered_keys = {email_key(e) for e in ok + unknown}
    failed_keys = {email_key(e) for e in down + html}
    resource = http_resource(server, max_retries=max_retries, breaker_threshold=50, concurrency=2)
    instance = dg.DagsterInstance.ephemeral()

    # run 1: the faults do not fail the asset; they are counted by reason and write nothing
    first = materialize([third_party_attributes], warehouse, tmp_path, resource, instance)
    assert first.success, failure_text(first)
    meta = metadata(first, THIRD_PARTY)
    assert meta["failed_lookups"] == 5 and meta["cache_hits"] == 0
    assert meta["lookups"]["failures_by_reason"] == {"http_503": 3, "malformed_response": 2}
    assert meta["lookups"]["persons_by_status"] == {"failed": 5, "found": 4, "unknown": 2}
    written = table(warehouse, "third_party_attributes")
    assert set(written["person_id"]) == {person[email_key(e)] for e in ok}
    counts = pd.Series(requested_keys(server)).value_counts().to_dict()
    assert counts == {**{email_key(e): 1 for e in ok + unknown}, **{email_key(e): 3 for e in down},
                      **{email_key(e): 2 for e in html}}

    # run 2: answered persons come from the cache (zero requests); exactly the failed ones are retried
    server.reset_log()
    second = materialize([third_party_attributes], warehouse, tmp_path, resource, instance)
    assert second.success, failure_text(second)
    meta = metadata(second, THIRD_PARTY)
    assert meta["cache_hits"] == len(answered_keys) == 6
    assert meta["failed_lookups"] == 5
    sent = requested_keys(server)
    assert not set(sent) & answered_keys
    assert set(sent) == failed_keys
    assert set(table(warehouse, "third_party_attributes")["person_id"]) == {person[email_key(e)] for e in ok}

    # run 3: the server is healed (scripts used up): the failed persons are filled, the rest still cached
    server.reset_log()
    third = materialize([third_party_attributes], warehouse, tmp_path, resource, instance)
    assert third.success, failure_text(third)
    meta = metadata(third, THIRD_PARTY)
    assert meta["failed_lookups"] == 0 and meta["cache_hits"] == 6
    assert sorted(requested_keys(server)) == sorted(failed_keys)         # one request each, no retries
    written = table(warehouse, "third_party_attributes")
    assert set(written["person_id"]) == {person[email_key(e)] for e in ok} | failed_persons
    assert set(written["attribute"]) == {"gender", "age_band"} and set(written["confidence"]) == {0.8}


def test_refused_key_fails_the_asset_without_a_retry_storm(server, warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "not-the-key")
    emails = [f"p{i}@shop.test" for i in range(20)]
    for e in emails:
        server.add(e, {"gender": "male"})
    write_profiles(warehouse, [profile(f"P{i:02d}", e) for i, e in enumerate(emails)])
    concurrency = 3
    result = materialize([third_party_attributes], warehouse, tmp_path,
                         http_resource(server, concurrency=concurrency, max_retries=4))
    assert not result.success
    text = failure_text(result)
    assert ENV in text and "refused" in text and "401" in text
    assert "not-the-key" not in text                          # the key itself is never shown
    assert 1 <= server.request_count() <= concurrency


def test_missing_api_key_env_fails_before_any_request(server, warehouse, tmp_path, monkeypatch):
    monkeypatch.delenv("MICROSEG_TEST_VENDOR_KEY", raising=False)
    server.add("p0@shop.test", {"gender": "male"})
    write_profiles(warehouse, [profile("P00", "p0@shop.test")])
    result = materialize([third_party_attributes], warehouse, tmp_path,
                         http_resource(server, api_key_env="MICROSEG_TEST_VENDOR_KEY"))
    assert not result.success
    text = failure_text(result)
    assert "MICROSEG_TEST_VENDOR_KEY" in text and "not set" in text
    assert server.request_count() == 0


def test_circuit_breaker_stops_calling_a_failing_provider(server, warehouse, tmp_path):
    emails = [f"p{i}@shop.test" for i in range(40)]
    for e in emails:
        server.add(e, {"gender": "male"})
    server.random_faults(1.0, 500)
    write_profiles(warehouse, [profile(f"P{i:02d}", e) for i, e in enumerate(emails)])
    threshold, concurrency, max_retries = 3, 2, 1
    result = materialize([third_party_attributes], warehouse, tmp_path,
                         http_resource(server, breaker_threshold=threshold, concurrency=concurrency,
                                       max_retries=max_retries))
    assert result.success, failure_text(result)
    meta = metadata(result, THIRD_PARTY)
    assert meta["circuit_breaker_opened"] is True
    assert meta["failed_lookups"] == 40 and meta["dagster/row_count"] == 0
    reasons = meta["lookups"]["failures_by_reason"]
    assert set(reasons) == {"http_500", "circuit_open"} and reasons["http_500"] >= threshold
    assert reasons["http_500"] + reasons["circuit_open"] == 40
    # the lookups that opened it plus those in flight, each with its retries: far fewer than 40
    assert server.request_count() <= (threshold + concurrency) * (1 + max_retries) < len(emails)
    assert len(table(warehouse, "third_party_attributes")) == 0


# ------------------------------------------------------------------------------------------- reference provider

def test_reference_provider_reference_attributes_and_empty_third_party(warehouse, tmp_path):
    write_profiles(warehouse, [
        profile("R1", "anna.k@gmail.com", "Anna", "Berlin", "DE", gender="female"),
        profile("R2", "klaus@acme.de", "Klaus", "Hinterzarten", "DE"),
        # profiles_cleaned NULLs an erased person's data; kept here to prove the asset's own filter
        profile("R3", "peter@web.de", "Peter", "Berlin", "DE", suppressed=True, erased=True),
    ])
    result = materialize([reference_attributes, third_party_attributes], warehouse, tmp_path,
                         EnrichmentResource())
    assert result.success, failure_text(result)

    third = metadata(result, THIRD_PARTY)
    assert third["provider"] == "reference" and third["dagster/row_count"] == 0
    assert "reference" in third["note"] and "http" in third["note"]
    empty = table(warehouse, "third_party_attributes")
    assert len(empty) == 0
    assert list(empty.columns) == ["person_id", "attribute", "value", "confidence", "source", "obtained_at"]

    written = table(warehouse, "reference_attributes")
    got = {(r.person_id, r.attribute): (r.value, r.confidence) for r in written.itertuples()}
    assert got[("R1", "city_type")] == ("urban", 0.95)
    assert got[("R1", "region")] == ("Europe", 1.0)
    assert got[("R1", "email_domain_type")] == ("free", 1.0)
    assert got[("R1", "gender")] == ("female", 0.95)
    assert ("R1", "company_domain") not in got
    assert got[("R2", "city_type")][0] == "rural" and int(got[("R2", "city_population")][0]) < 10_000
    assert got[("R2", "email_domain_type")] == ("corporate", 0.8)
    assert got[("R2", "company_domain")] == ("acme.de", 0.8)
    assert got[("R2", "gender")] == ("male", 0.95)
    assert "R3" not in set(written["person_id"])
    assert set(pd.to_datetime(written["obtained_at"])) == {AS_OF_NAIVE}

    meta = metadata(result, REFERENCE)
    assert meta["provider"] == "reference" and meta["profiles"] == 2
    assert meta["dagster/row_count"] == len(written)
    assert meta["gender_agreement_with_declared"] == 1.0


# ------------------------------------------------------------------------------------------- inference

def write_inference_inputs(path: Path, n: int = 1200, seed: int = 3, erased: int = 0) -> pd.DataFrame:
    """Features that carry gender (category shares) and age (price, hour) signal; ~30 % of each label
    missing; `erased` extra persons with features, is_erased and (as profiles_cleaned has it) no labels.
    Returns the labels as written."""
    rng = np.random.default_rng(seed)
    total = n + erased
    g = rng.integers(0, 2, total)
    a = rng.integers(0, 4, total)
    cats = ("Beauty", "Electronics", "Fashion", "Sports", "Books")
    effect = np.array([[1.2, -0.9, 0.8, -0.5, 0.1], [-1.0, 1.1, -0.6, 0.7, 0.1]])
    logits = effect[g] + rng.normal(0, 0.7, (total, len(cats)))
    shares = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    ids = [f"I{i:05d}" for i in range(total)]
    rows = []
    for i, pid in enumerate(ids):
        for j, c in enumerate(cats):
            rows.append((pid, f"category_share:{c}", float(shares[i, j])))
        rows.append((pid, "avg_viewed_price_90d", float(np.exp(3 + 0.4 * a[i] + rng.normal(0, 0.3)))))
        rows.append((pid, "hour_share:night", float(np.clip(0.4 - 0.1 * a[i] + rng.normal(0, 0.05), 0, 1))))
    features = pd.DataFrame(rows, columns=["person_id", "feature", "value"])
    gender = np.array(["female", "male"], dtype=object)[g]
    band = np.array(["18-24", "25-34", "35-44", "45-54"], dtype=object)[a]
    is_erased = np.arange(total) >= n
    labels = pd.DataFrame({
        "person_id": ids,
        "gender": np.where((rng.random(total) < 0.3) | is_erased, None, gender),
        "age_band": np.where((rng.random(total) < 0.3) | is_erased, None, band),
        "is_erased": is_erased,
    })
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists enrichment")
        con.register("features_input", features)
        con.register("labels_input", labels)
        con.execute("""create or replace table enrichment.enrichment_features as
                       select cast(person_id as varchar) as person_id, cast(feature as varchar) as feature,
                              cast(value as double) as value from features_input""")
        con.execute("""create or replace table enrichment.enrichment_labels as
                       select cast(person_id as varchar) as person_id, cast(gender as varchar) as gender,
                              cast(age_band as varchar) as age_band, cast(is_erased as boolean) as is_erased
                       from labels_input""")
    return labels


def test_inferred_attributes_beat_the_baseline_and_respect_the_threshold(warehouse, tmp_path):
    labels = write_inference_inputs(warehouse)
    result = materialize([inferred_attributes], warehouse, tmp_path, EnrichmentResource())
    assert result.success, failure_text(result)
    meta = metadata(result, INFERRED)
    gender = meta["reports"]["gender"]
    assert gender["trained"] is True
    assert gender["holdout_accuracy"] > gender["baseline_accuracy"] + 0.2
    assert meta["min_confidence"] == 0.7

    written = table(warehouse, "inferred_attributes")
    assert len(written) == meta["dagster/row_count"] > 0
    assert (written["confidence"] >= 0.7).all()
    assert set(written["source"]) == {"model"}
    assert set(pd.to_datetime(written["obtained_at"])) == {AS_OF_NAIVE}
    for attribute in ("gender", "age_band"):
        missing = set(labels.loc[labels[attribute].isna(), "person_id"])
        predicted = set(written.loc[written["attribute"] == attribute, "person_id"])
        assert predicted <= missing, f"{attribute} predicted for persons who declared it"
    assert meta["values_by_attribute"] == written["attribute"].value_counts().sort_index().to_dict()

    stricter = materialize([inferred_attributes], warehouse, tmp_path,
                           EnrichmentResource(inference_min_confidence=0.95))
    assert stricter.success, failure_text(stricter)
    fewer = table(warehouse, "inferred_attributes")
    assert 0 < len(fewer) < len(written)
    assert (fewer["confidence"] >= 0.95).all()
    assert metadata(stricter, INFERRED)["min_confidence"] == 0.95


def test_inferred_attributes_never_written_for_erased_persons(warehouse, tmp_path):
    """enrichment_labels documents "An erased person (is_erased) declares nothing and is never enriched";
    enrichment_features (dbt) does not drop erased persons, and the asset reads features unfiltered."""
    labels = write_inference_inputs(warehouse, n=1000, erased=40)
    erased = set(labels.loc[labels["is_erased"], "person_id"])
    result = materialize([inferred_attributes], warehouse, tmp_path, EnrichmentResource())
    assert result.success, failure_text(result)
    written = table(warehouse, "inferred_attributes")
    assert len(written) > 0
    leaked = sorted(erased & set(written["person_id"]))
    assert leaked == [], f"{len(leaked)} erased persons got inferred attributes, e.g. {leaked[:3]}"


def test_inferred_attributes_no_better_than_chance_write_nothing_and_say_why(warehouse, tmp_path):
    """Declared values shuffled across persons (independent of the features): the model cannot beat always
    answering the majority class, so no value is written, even at a threshold of 0.4, and the metadata says
    why per attribute. A margin no model reaches (inference_min_lift 0.9) blocks even the real signal."""
    labels = write_inference_inputs(warehouse)
    rng = np.random.default_rng(8)
    with duckdb.connect(str(warehouse)) as con:
        shuffled = labels.assign(person_id=labels["person_id"].to_numpy()[rng.permutation(len(labels))])
        con.register("shuffled_labels", shuffled)
        con.execute("""create or replace table enrichment.enrichment_labels as
                       select cast(person_id as varchar) as person_id, cast(gender as varchar) as gender,
                              cast(age_band as varchar) as age_band, cast(is_erased as boolean) as is_erased
                       from shuffled_labels""")
    result = materialize([inferred_attributes], warehouse, tmp_path,
                         EnrichmentResource(inference_min_confidence=0.4))
    assert result.success, failure_text(result)
    meta = metadata(result, INFERRED)
    assert meta["dagster/row_count"] == 0 and len(table(warehouse, "inferred_attributes")) == 0
    assert meta["min_lift"] == 0.05 and meta["min_confidence"] == 0.4
    assert set(meta["not_applied"]) == {"gender", "age_band"}
    for attribute, reason in meta["not_applied"].items():
        assert reason.startswith(f"no {attribute} inferred: the model is not good enough"), reason
        assert "does not beat the baseline" in reason and "inference_min_lift 0.05" in reason
        report = meta["reports"][attribute]
        assert report["trained"] is True and report["beats_baseline"] is False and report["n_applied"] == 0
        assert report["not_applied_reason"] == reason
        assert reason in meta["quality"]

    labels = write_inference_inputs(warehouse)               # the real signal again
    strict = materialize([inferred_attributes], warehouse, tmp_path, EnrichmentResource(inference_min_lift=0.9))
    assert strict.success, failure_text(strict)
    meta = metadata(strict, INFERRED)
    assert meta["min_lift"] == 0.9 and meta["dagster/row_count"] == 0
    gender = meta["reports"]["gender"]
    assert gender["holdout_accuracy"] > gender["baseline_accuracy"] + 0.2          # good, but not 0.9 better
    assert "inference_min_lift 0.9" in meta["not_applied"]["gender"]

    default = materialize([inferred_attributes], warehouse, tmp_path, EnrichmentResource())
    assert default.success, failure_text(default)
    meta = metadata(default, INFERRED)
    assert meta["not_applied"] == {} and meta["dagster/row_count"] > 0
    assert all(r["beats_baseline"] for r in meta["reports"].values())
