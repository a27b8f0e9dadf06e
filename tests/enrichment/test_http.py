"""HTTP person-lookup client against a real threaded server on 127.0.0.1 (tests/helpers/enrichment_server.py)."""

from __future__ import annotations

import json
import logging
import random
import socket
import time
from email.utils import formatdate

import pytest

from orchestration.lib.enrichment.http import (
    DEFAULT_FIELD_MAPPING,
    HttpPersonLookup,
    HttpProviderConfig,
    MissingApiKeyError,
    ProviderAuthError,
    email_key,
    parse_retry_after,
)
from orchestration.resources.enrichment import api_key_from_env
from tests.helpers.enrichment_server import EnrichmentServer, Reply

ENV = "MICROSEG_ENRICHMENT_API_KEY"
KEY = "test-key"

ANNA = "anna.schmidt@example.de"
ANNA_DOC = {"id": "p_1", "gender": "female", "geo": {"city": "Berlin", "country": "DE"},
            "employment": {"name": "Acme GmbH", "domain": "acme.de", "title": "Buyer", "seniority": "manager"},
            "age_range": "25-34", "confidence": 0.87}
BEN = "ben@example.com"
BEN_DOC = {"id": "p_2", "gender": "male", "geo": {"city": "  ", "country": "GB"}, "employment": None,
           "age_range": 42, "confidence": "high"}
NOBODY = "nobody@example.org"


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv(ENV, KEY)
    with EnrichmentServer(api_key=KEY) as srv:
        srv.add(ANNA, ANNA_DOC)
        srv.add(BEN, BEN_DOC)
        yield srv


class Recorder:
    """An injected sleep: records the requested delays, does not sleep."""

    def __init__(self):
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def config(srv, **kw) -> HttpProviderConfig:
    base = dict(base_url=srv.base_url, backoff_base=0.01, backoff_max=0.05, rate_limit=0, connect_timeout=1.0,
                read_timeout=2.0, max_retries=3, concurrency=4)
    base.update(kw)
    return HttpProviderConfig(**base)


def client(srv, sleep=None, seed=7, **kw) -> HttpPersonLookup:
    cfg = config(srv, **kw)
    return HttpPersonLookup(cfg, api_key=api_key_from_env(cfg), sleep=sleep or Recorder(), rng=random.Random(seed))


def by_key(report):
    return {o.key: o for o in report.outcomes}


# ------------------------------------------------------------------------------------------- answers

def test_found_unknown_mapping_nested_paths_and_confidence(server):
    report = client(server).lookup_many([ANNA, BEN, NOBODY])
    out = by_key(report)
    anna = out[email_key(ANNA)]
    assert anna.status == "found" and anna.reason is None and anna.attempts == 1
    assert anna.attributes == {"gender": "female", "city": "Berlin", "country": "DE", "company_name": "Acme GmbH",
                               "company_domain": "acme.de", "job_title": "Buyer", "seniority": "manager",
                               "age_band": "25-34"}
    assert anna.confidence == pytest.approx(0.87)
    ben = out[email_key(BEN)]
    # blank city skipped, employment null -> nested paths skipped, number coerced to str
    assert ben.attributes == {"gender": "male", "country": "GB", "age_band": "42"}
    assert ben.confidence == 0.9 and report.invalid_confidence == 1      # "high": default, counted
    nobody = out[email_key(NOBODY)]
    assert (nobody.status, nobody.attributes, nobody.confidence) == ("unknown", {}, None)
    assert report.counts == {"found": 2, "unknown": 1, "failed": 0}
    assert report.calls == 3 and report.retries == 0 and not report.breaker_opened


def test_confidence_missing_out_of_range_and_bool(server):
    server.add("a@x.io", {"gender": "female"})
    server.add("b@x.io", {"gender": "female", "confidence": 1.7})
    server.add("c@x.io", {"gender": "female", "confidence": True})
    server.add("d@x.io", {"gender": "female", "confidence": 0})
    out = by_key(client(server, default_confidence=0.5).lookup_many(["a@x.io", "b@x.io", "c@x.io", "d@x.io"]))
    assert [out[email_key(e)].confidence for e in ("a@x.io", "b@x.io", "c@x.io", "d@x.io")] == [0.5, 0.5, 0.5, 0.0]


def test_field_mapping_for_another_vendors_shape(server):
    server.add("carla@vendor.it", {"person": {"sex": "f", "location": {"town": "Milano", "nation": "IT"},
                                              "job": {"org": {"name": "Brava SpA"}, "role": "CTO"}},
                                   "meta": {"score": 0.66}, "gender": "should-not-be-read"})
    mapping = {"gender": "person.sex", "city": "person.location.town", "country": "person.location.nation",
               "company_name": "person.job.org.name", "job_title": "person.job.role",
               "age_band": "person.age.band"}
    out = client(server, field_mapping=mapping, confidence_path="meta.score").lookup_many(["carla@vendor.it"])
    carla = out.outcomes[0]
    assert carla.attributes == {"gender": "f", "city": "Milano", "country": "IT", "company_name": "Brava SpA",
                                "job_title": "CTO"}
    assert carla.confidence == pytest.approx(0.66)


def test_duplicates_looked_up_once_in_input_order_and_invalid_emails(server):
    emails = [NOBODY, " Anna.Schmidt@Example.DE ", ANNA, BEN, NOBODY.upper(), "", "no-at-sign"]
    report = client(server).lookup_many(emails)
    assert [o.key for o in report.outcomes] == [email_key(e) for e in (NOBODY, ANNA, BEN, "", "no-at-sign")]
    assert [o.status for o in report.outcomes] == ["unknown", "found", "found", "failed", "failed"]
    assert report.failures_by_reason == {"invalid_email": 2}
    assert server.request_count() == 3 and report.calls == 3


def test_email_key_is_sha256_of_trimmed_lowercased():
    import hashlib
    assert email_key("  Anna@Example.DE\n") == hashlib.sha256(b"anna@example.de").hexdigest()
    assert len(email_key("a@b.c")) == 64


# ------------------------------------------------------------------------------------------- privacy, auth

def test_hashed_lookup_never_sends_the_raw_email(server):
    client(server).lookup_many([ANNA, BEN, NOBODY])
    assert len(server.requests) == 3
    for req in server.requests:
        assert req.path == "/v2/people/find"
        assert set(req.query) == {"email_sha256"}
        assert req.headers["Authorization"] == f"Bearer {KEY}"
        text = req.raw_query + json.dumps(req.headers)
        assert "@" not in text and "%40" not in text and "example" not in text
    assert sorted(r.query["email_sha256"][0] for r in server.requests) == sorted(
        email_key(e) for e in (ANNA, BEN, NOBODY))


def test_lookup_by_email_sends_the_normalised_email(server):
    report = client(server, lookup_by="email").lookup_many(["  ANNA.Schmidt@example.de"])
    assert report.outcomes[0].status == "found"
    assert server.requests[0].query == {"email": [ANNA]}


def test_api_key_only_from_env_missing_is_a_clear_error_before_any_request(server, monkeypatch):
    monkeypatch.delenv(ENV)
    with pytest.raises(MissingApiKeyError, match=ENV):
        client(server).lookup_many([ANNA])
    monkeypatch.setenv("OTHER_VENDOR_KEY", "")
    with pytest.raises(ProviderAuthError, match="OTHER_VENDOR_KEY"):
        client(server, api_key_env="OTHER_VENDOR_KEY").lookup_many([ANNA])
    assert server.request_count() == 0
    monkeypatch.setenv("OTHER_VENDOR_KEY", KEY)
    assert client(server, api_key_env="OTHER_VENDOR_KEY").lookup_many([ANNA]).found == 1


def test_netrc_does_not_replace_the_bearer_key(server, monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password other-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert client(server).lookup_many([ANNA]).found == 1
    assert server.requests[0].headers["Authorization"] == f"Bearer {KEY}"


def test_bad_key_401_fails_fast_without_retries(server, monkeypatch):
    monkeypatch.setenv(ENV, "wrong-key")
    emails = [f"person{i}@example.com" for i in range(200)]
    started = time.monotonic()
    with pytest.raises(ProviderAuthError) as err:
        client(server, concurrency=4, max_retries=4).lookup_many(emails)
    message = str(err.value)
    assert "401" in message and ENV in message and "refused" in message and "wrong-key" not in message
    assert server.request_count() <= 4
    assert time.monotonic() - started < 10


def test_403_mid_run_stops_outstanding_work_and_waiting_retries(server):
    # one lookup waits on a long Retry-After when another gets 403: the wait is cut short, nothing else runs
    server.script(ANNA, [Reply(429, headers={"Retry-After": "30"})])
    server.script(BEN, [Reply(403, delay=0.2)])
    emails = [ANNA, BEN] + [f"later{i}@example.com" for i in range(50)]
    lookup = HttpPersonLookup(config(server, concurrency=2), api_key=lambda: KEY, rng=random.Random(1))   # real, interruptible sleep
    started = time.monotonic()
    with pytest.raises(ProviderAuthError, match="403"):
        lookup.lookup_many(emails)
    assert time.monotonic() - started < 10
    assert server.request_count() == 2


# ------------------------------------------------------------------------------------------- retries

def test_5xx_retried_then_success(server):
    server.script(ANNA, [503, 500, 200])
    server.script(BEN, [Reply.html(502), 200])
    report = client(server).lookup_many([ANNA, BEN, NOBODY])
    out = by_key(report)
    assert out[email_key(ANNA)].status == "found" and out[email_key(ANNA)].attempts == 3
    assert out[email_key(BEN)].status == "found" and out[email_key(BEN)].attempts == 2
    assert report.retries == 3 and report.calls == 6 == server.request_count()


def test_retries_exhausted_fail_with_reason(server):
    server.script(ANNA, [503] * 10)
    server.script(BEN, [429] * 10)
    report = client(server, max_retries=2).lookup_many([ANNA, BEN])
    out = by_key(report)
    assert (out[email_key(ANNA)].status, out[email_key(ANNA)].reason, out[email_key(ANNA)].attempts) == \
        ("failed", "http_503", 3)
    assert (out[email_key(BEN)].reason, out[email_key(BEN)].attempts) == ("rate_limited", 3)
    assert out[email_key(ANNA)].attributes == {} and out[email_key(ANNA)].confidence is None
    assert report.failures_by_reason == {"http_503": 1, "rate_limited": 1}
    assert report.retries == 4 and server.request_count() == 6


def test_429_retry_after_seconds_and_http_date_honoured(server):
    server.script(ANNA, [Reply(429, headers={"Retry-After": "7"}), 200])
    server.script(BEN, [Reply(429, headers={"Retry-After": formatdate(time.time() + 3, usegmt=True)}), 200])
    sleep = Recorder()
    report = client(server, sleep=sleep, concurrency=1, backoff_max=0.05).lookup_many([ANNA, BEN])
    assert report.found == 2 and report.retries == 2
    assert len(sleep.delays) == 2
    assert sleep.delays[0] >= 7                     # not capped by backoff_max
    assert 1.0 <= sleep.delays[1] <= 3.5


def test_429_retry_after_real_time(server):
    server.script(ANNA, [Reply(429, headers={"Retry-After": "1"}), 200])
    lookup = HttpPersonLookup(config(server), api_key=lambda: KEY, rng=random.Random(1))   # real sleep
    report = lookup.lookup_many([ANNA])
    assert report.outcomes[0].status == "found" and report.outcomes[0].attempts == 2
    first, second = server.arrivals()
    assert second - first >= 0.95


def test_retry_after_too_long_is_not_waited_for(server):
    server.script(ANNA, [Reply(429, headers={"Retry-After": "3600"}), 200])
    sleep = Recorder()
    report = client(server, sleep=sleep).lookup_many([ANNA])
    assert report.outcomes[0].reason == "rate_limited" and sleep.delays == []


def test_parse_retry_after():
    from datetime import datetime, timezone
    now = datetime(2026, 11, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Sun, 01 Nov 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Sun, 01 Nov 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None
    assert parse_retry_after("-5", now) == 0.0


def test_429_without_retry_after_exponential_full_jitter_capped(server):
    base, cap, retries = 0.01, 0.05, 5
    emails = [f"p{i}@example.com" for i in range(30)]
    for e in emails:
        server.script(e, [429] * retries + [200])
    sleep = Recorder()
    report = client(server, sleep=sleep, seed=123, concurrency=1, backoff_base=base, backoff_max=cap,
                    max_retries=retries).lookup_many(emails)
    assert report.unknown == 30 and report.retries == 30 * retries
    ceilings = [min(cap, base * 2 ** n) for n in range(retries)]          # .01 .02 .04 .05 .05
    per_key = [sleep.delays[i:i + retries] for i in range(0, len(sleep.delays), retries)]
    assert len(per_key) == 30
    for delays in per_key:
        assert all(0 <= d <= c for d, c in zip(delays, ceilings))
    # jittered (not the bare ceiling), growing on average, capped
    means = [sum(d[n] for d in per_key) / len(per_key) for n in range(retries)]
    assert means[0] < means[1] < means[2]
    assert max(d[n] for d in per_key for n in range(retries)) <= cap
    assert len({round(d, 9) for d in sleep.delays}) > retries
    # deterministic: the seeded rng gives exactly uniform(0, ceiling) draws in order
    rng = random.Random(123)
    assert sleep.delays == pytest.approx([rng.uniform(0, ceilings[n]) for _ in emails for n in range(retries)])


def test_read_timeout_retried_then_failed(server):
    server.hang(ANNA, 1.5)
    report = client(server, read_timeout=0.3, max_retries=1).lookup_many([ANNA, BEN])
    out = by_key(report)
    assert (out[email_key(ANNA)].status, out[email_key(ANNA)].reason, out[email_key(ANNA)].attempts) == \
        ("failed", "timeout", 2)
    assert out[email_key(BEN)].status == "found"
    hashed = [r for r in server.requests if r.query["email_sha256"] == [email_key(ANNA)]]
    assert len(hashed) == 2


def test_connection_error_retried_then_failed(monkeypatch):
    monkeypatch.setenv(ENV, KEY)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()                                   # nothing listens there
    cfg = HttpProviderConfig(f"http://127.0.0.1:{port}", backoff_base=0.01, max_retries=2, rate_limit=0)
    sleep = Recorder()
    report = HttpPersonLookup(cfg, api_key=lambda: KEY, sleep=sleep, rng=random.Random(0)).lookup_many([ANNA])
    assert (report.outcomes[0].reason, report.outcomes[0].attempts) == ("connection_error", 3)
    assert len(sleep.delays) == 2


@pytest.mark.parametrize("reply", [Reply.garbage(), Reply.html(200), Reply.json_array(),
                                   Reply(200, b'"just a string"'), Reply(200, b""),
                                   Reply(200, b'{"error": {"type": "queued"}}')],
                         ids=["garbage", "html", "json-array", "json-string", "empty", "error-envelope"])
def test_malformed_200_is_failed_without_values(server, reply):
    server.script(ANNA, [reply, reply, reply])
    report = client(server).lookup_many([ANNA])
    anna = report.outcomes[0]
    assert (anna.status, anna.reason, anna.attributes, anna.confidence) == \
        ("failed", "malformed_response", {}, None)
    assert anna.attempts == 2                       # retried once, documented


def test_malformed_once_then_valid_is_found(server):
    server.script(ANNA, [Reply.html(200), 200])
    assert client(server).lookup_many([ANNA]).outcomes[0].status == "found"


@pytest.mark.parametrize("status", [400, 422])
def test_other_4xx_rejected_not_retried(server, status):
    server.script(ANNA, [status, 200])
    report = client(server).lookup_many([ANNA])
    assert (report.outcomes[0].reason, report.outcomes[0].attempts) == (f"rejected_{status}", 1)
    assert server.request_count() == 1


# ------------------------------------------------------------------------------------------- limits

def test_concurrency_never_above_limit_and_actually_parallel(server):
    server.latency = 0.05
    emails = [f"c{i}@example.com" for i in range(40)]
    report = client(server, concurrency=3).lookup_many(emails)
    assert report.unknown == 40
    assert 2 <= server.max_in_flight <= 3
    assert report.max_in_flight <= 3


def test_concurrency_limit_holds_with_retries(server):
    server.latency = 0.02
    server.random_faults(0.3, 503, seed=5)
    emails = [f"r{i}@example.com" for i in range(40)]
    report = client(server, concurrency=5, max_retries=6).lookup_many(emails)
    assert report.retries > 0
    assert 2 <= server.max_in_flight <= 5


def test_rate_limit_respected(server):
    rate, n = 20.0, 25
    emails = [f"rl{i}@example.com" for i in range(n)]
    report = client(server, rate_limit=rate, concurrency=4).lookup_many(emails)
    assert report.calls == n
    arrivals = server.arrivals()
    span = arrivals[-1] - arrivals[0]
    assert span > 0
    assert (n - 1) / span <= rate * 1.25            # unlimited, 25 requests take a few ms
    # no 1-second window holds more than rate + a small burst allowance
    for i, t in enumerate(arrivals):
        assert sum(1 for u in arrivals[i:] if u < t + 1.0) <= rate + 2


# ------------------------------------------------------------------------------------------- breaker

def test_circuit_breaker_opens_after_consecutive_failures(server):
    server.fail_next(1000, 503)
    emails = [f"b{i}@example.com" for i in range(20)]
    report = client(server, concurrency=1, breaker_threshold=3, max_retries=1).lookup_many(emails)
    assert report.breaker_opened and report.breaker_opened_after == 3
    reasons = [o.reason for o in report.outcomes]
    assert reasons == ["http_503"] * 3 + ["circuit_open"] * 17
    assert server.request_count() == 6 == report.calls
    assert all(o.attempts == 0 for o in report.outcomes[3:])
    summary = report.summary()
    assert summary["breaker_opened"] is True and summary["breaker_opened_after"] == 3
    assert summary["failures_by_reason"] == {"circuit_open": 17, "http_503": 3}


def test_breaker_counts_only_consecutive_failures(server):
    emails = [f"s{i}@example.com" for i in range(12)]
    for i, e in enumerate(emails):
        if i % 3 != 2:                              # fail, fail, ok, fail, fail, ok, ...
            server.script(e, [500])
    report = client(server, concurrency=1, breaker_threshold=3, max_retries=0).lookup_many(emails)
    assert not report.breaker_opened and report.breaker_opened_after is None
    assert report.failed == 8 and report.unknown == 4


def test_breaker_with_concurrency_stops_calls(server):
    server.fail_next(10_000, 503)
    emails = [f"bc{i}@example.com" for i in range(200)]
    report = client(server, concurrency=4, breaker_threshold=5, max_retries=0).lookup_many(emails)
    assert report.breaker_opened
    assert server.request_count() <= 5 + 4          # the threshold plus at most the ones in flight
    assert report.failures_by_reason["circuit_open"] >= 190


# ------------------------------------------------------------------------------------------- report, logs

def test_summary_is_json_safe_without_pii_and_progress(server):
    seen = []
    emails = [f"sum{i}@example.com" for i in range(250)] + [ANNA]
    report = HttpPersonLookup(config(server, concurrency=8), api_key=lambda: KEY, sleep=Recorder(), rng=random.Random(0),
                              progress=lambda done, total: seen.append((done, total))).lookup_many(emails)
    text = json.dumps(report.summary())
    assert "@" not in text and email_key(ANNA) not in text
    assert report.summary()["lookups"] == 251 and report.summary()["found"] == 1
    assert seen and seen[-1] == (251, 251) and all(t == 251 for _, t in seen)
    done = [d for d, _ in seen]
    assert done == sorted(set(done)) and len(done) >= 3         # every ~1%, monotonic


def test_no_raw_email_in_logs(server, caplog):
    server.script(ANNA, [503, Reply.garbage(), Reply.garbage()])
    server.script(BEN, [Reply(429, headers={"Retry-After": "0"}), 200])
    with caplog.at_level(logging.DEBUG, logger="orchestration.lib.enrichment.http"):
        client(server, lookup_by="email").lookup_many([ANNA, BEN, NOBODY])
    assert caplog.records
    text = "\n".join(r.getMessage() for r in caplog.records)
    for e in (ANNA, BEN, NOBODY):
        assert e not in text and e.split("@")[0] not in text
    assert all(r.levelno <= logging.DEBUG for r in caplog.records if email_key(ANNA) in r.getMessage())


# ------------------------------------------------------------------------------------------- config

def test_from_mapping_defaults_and_values():
    cfg = HttpProviderConfig.from_mapping({"base_url": "https://person.example.com/", "rate_limit": 2,
                                           "lookup_by": "email", "concurrency": 2}, "microseg.yml")
    assert cfg.base_url == "https://person.example.com" and cfg.rate_limit == 2 and cfg.lookup_by == "email"
    assert cfg.api_key_env == ENV and cfg.max_retries == 4 and cfg.field_mapping == DEFAULT_FIELD_MAPPING
    assert (cfg.connect_timeout, cfg.read_timeout, cfg.backoff_base, cfg.backoff_max) == (3.05, 10.0, 0.5, 30.0)
    assert (cfg.breaker_threshold, cfg.confidence_path, cfg.default_confidence) == (10, "confidence", 0.9)


@pytest.mark.parametrize("values, message", [
    ({"rate_limit": "fast"}, "microseg.yml: enrichment_http.rate_limit: expected a number >= 0, got 'fast'"),
    ({"rate_limit": -1}, "enrichment_http.rate_limit: expected a number >= 0, got -1"),
    ({"concurrency": 0}, "enrichment_http.concurrency: expected an integer between 1 and 256, got 0"),
    ({"max_retries": True}, "enrichment_http.max_retries: expected an integer"),
    ({"max_retries": 2.5}, "enrichment_http.max_retries: expected an integer"),
    ({"lookup_by": "phone"}, "enrichment_http.lookup_by: expected 'email_sha256' or 'email', got 'phone'"),
    ({"read_timeout": 0}, "enrichment_http.read_timeout: expected a number > 0"),
    ({"backoff_base": 2, "backoff_max": 1}, "enrichment_http.backoff_max: expected a number >= backoff_base"),
    ({"breaker_threshold": 0}, "enrichment_http.breaker_threshold: expected an integer >= 1"),
    ({"api_key_env": "not a var"}, "enrichment_http.api_key_env: expected an environment variable name"),
    ({"field_mapping": {"City": "geo.city"}}, "enrichment_http.field_mapping: expected a non-empty mapping"),
    ({"field_mapping": {"city": "geo..city"}}, "enrichment_http.field_mapping: expected"),
    ({"field_mapping": []}, "enrichment_http.field_mapping: expected a non-empty mapping"),
    ({"default_confidence": 1.5}, "enrichment_http.default_confidence: expected a number between 0 and 1"),
    ({"confidence_path": ""}, "enrichment_http.confidence_path: expected a dotted JSON path"),
    ({"base_url": "ftp://x"}, "enrichment_http.base_url: expected an http(s) URL"),
    ({"rate_limt": 3}, "enrichment_http.rate_limt: unknown key"),
    ({"api_key": "sk_live_123"}, "enrichment_http.api_key: the API key is never read from a config file"),
])
def test_from_mapping_errors_name_source_key_and_expectation(values, message):
    d = {"base_url": "https://person.example.com", **values}
    with pytest.raises(ValueError) as err:
        HttpProviderConfig.from_mapping(d, "microseg.yml")
    assert message in str(err.value)
    assert str(err.value).startswith("microseg.yml: ")
    assert "sk_live_123" not in str(err.value)


def test_from_mapping_requires_base_url_and_a_mapping():
    with pytest.raises(ValueError, match=r"^cfg.yml: enrichment_http.base_url: .*required"):
        HttpProviderConfig.from_mapping({}, "cfg.yml")
    with pytest.raises(ValueError, match=r"^cfg.yml: enrichment_http: expected a mapping"):
        HttpProviderConfig.from_mapping(["x"], "cfg.yml")


def test_direct_construction_is_validated_and_negative_rate_means_unlimited():
    with pytest.raises(ValueError, match="concurrency"):
        HttpProviderConfig("http://x", concurrency=0)
    assert HttpProviderConfig("http://x", rate_limit=-1).rate_limit == -1
