"""HTTP person-lookup enrichment provider: a bounded, rate-limited, retrying client (pure library).

Provider contract (shaped like Clearbit's person lookup)
=======================================================

Request
    ``GET {base_url}/v2/people/find?email_sha256=<hex>`` when the provider supports hashed lookups
    (config ``lookup_by: email_sha256``, the default), where ``<hex>`` is the lowercase hex SHA-256 of the
    trimmed, lower-cased email (``email_key``); otherwise ``GET {base_url}/v2/people/find?email=<email>``
    (``lookup_by: email``; the trimmed, lower-cased email is sent).
    Header ``Authorization: Bearer <api key>``. The key is read ONLY from the environment variable named by
    ``api_key_env`` (default ``MICROSEG_ENRICHMENT_API_KEY``), never from a config file. A missing or empty
    variable raises ``MissingApiKeyError`` (a ``ProviderAuthError``) naming the variable before any call.
    Connect timeout ``connect_timeout`` (3.05 s), read timeout ``read_timeout`` (10 s).

Responses
    200 + a JSON object    the person was found, e.g. ``{"id": "...", "gender": "female",
                           "geo": {"city": "Berlin", "country": "DE"}, "employment": {"name": "Acme GmbH",
                           "domain": "acme.de", "title": "Buyer", "seniority": "manager"},
                           "age_range": "25-34", "confidence": 0.87}``. ``field_mapping`` maps OUR attribute
                           names to dotted paths in it; only non-empty strings (numbers coerced to str) are
                           kept, missing nested paths are skipped. The confidence is read at
                           ``confidence_path``; missing -> ``default_confidence`` (0.9); non-numeric or outside
                           [0, 1] -> ``default_confidence`` and counted in ``LookupReport.invalid_confidence``.
                           Status ``found``.
    404                    the person is unknown: a valid answer, status ``unknown`` (cached as such).
    401 / 403              the key was refused: fail fast. ``ProviderAuthError`` (status, and that the key in
                           env var X was refused) is raised out of ``lookup_many``; no retries, no new requests
                           are started, pending lookups are abandoned.
    429                    rate limited: retried, waiting ``Retry-After`` (delta-seconds or an HTTP date) when
                           present, else exponential backoff with full jitter (below). A ``Retry-After`` above
                           ``RETRY_AFTER_MAX`` (300 s) is not waited for: the lookup fails at once. Retries
                           exhausted -> ``failed`` reason ``rate_limited``.
    5xx                    transient: retried with backoff (a ``Retry-After`` on a 5xx is honoured too).
                           Exhausted -> ``failed`` reason ``http_<status>`` (e.g. ``http_503``).
    connection errors      transient -> exhausted: ``failed`` reason ``connection_error``.
    connect/read timeouts  transient -> exhausted: ``failed`` reason ``timeout``.
    200 + not a JSON object  garbage bytes, an HTML error page, a JSON array/scalar, or a JSON object holding
                           only a top-level ``"error"`` envelope: retried ONCE (a flaky proxy page may be
                           transient; within ``max_retries``), then ``failed`` reason ``malformed_response``.
                           Never produces attribute values.
    other 4xx (400, 422)   ``failed`` reason ``rejected_<status>``, not retried.
    other statuses         (1xx/2xx other than 200, unfollowed 3xx) ``failed`` reason ``unexpected_<status>``,
                           not retried.

Backoff
    Retry ``n`` (0-based) waits ``uniform(0, min(backoff_max, backoff_base * 2**n))`` ("full jitter",
    drawn from the seeded ``rng``: deterministic in tests), at most ``max_retries`` retries per lookup.

Limits
    ``concurrency`` worker threads (``ThreadPoolExecutor``) plus a semaphore: never more than ``concurrency``
    requests in flight. ``rate_limit`` requests per second across all threads by spacing request starts
    ``1 / rate_limit`` apart (every attempt counts, retries included); ``<= 0`` means unlimited.

Circuit breaker
    ``breaker_threshold`` consecutive failed lookups (after their retries; in completion order) open the
    circuit: no further requests in this run; lookups not yet answered end ``failed`` reason
    ``circuit_open`` (including in-flight lookups that would have retried). The report records
    ``breaker_opened`` and ``breaker_opened_after`` (the number of lookups finished when it opened).

Privacy
    Raw emails are never logged, never put in the report and never cached; the SHA-256 ``email_key`` is the
    identity everywhere, logged at DEBUG at most. Emails that are empty or lack an ``@`` end ``failed``
    reason ``invalid_email`` without a request.

Duplicates of the same email (after trim/lower-case) are looked up once; ``LookupReport.outcomes`` is in the
order of first appearance. ``enrich_cache`` keeps answers (found/unknown, never failed) in DuckDB.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

import requests

log = logging.getLogger(__name__)

FIND_PATH = "/v2/people/find"
_HEADERS = {"Accept": "application/json"}
RETRY_AFTER_MAX = 300.0        # seconds; a longer Retry-After fails the lookup instead of stalling the run
MALFORMED_RETRIES = 1          # a 200 with a body that is not a JSON object is retried at most this often
STATUSES = ("found", "unknown", "failed")
DEFAULT_FIELD_MAPPING: dict[str, str] = {
    "gender": "gender",
    "city": "geo.city",
    "country": "geo.country",
    "company_name": "employment.name",
    "company_domain": "employment.domain",
    "job_title": "employment.title",
    "seniority": "employment.seniority",
    "age_band": "age_range",
}

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ATTR_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_PATH = re.compile(r"^[^.\s]+(\.[^.\s]+)*$")


class ProviderAuthError(RuntimeError):
    """The provider refused our API key (401/403), or there is no key: the run must stop."""


class MissingApiKeyError(ProviderAuthError):
    """The environment variable that should hold the API key is unset or empty."""


def email_key(email: str) -> str:
    """SHA-256 hex of the trimmed, lower-cased email: the cache key and the hashed lookup value."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------- config

def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


@dataclass(frozen=True)
class HttpProviderConfig:
    base_url: str
    api_key_env: str = "MICROSEG_ENRICHMENT_API_KEY"
    lookup_by: str = "email_sha256"          # "email_sha256" | "email"
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    rate_limit: float = 10.0                 # requests/s across all threads; <= 0: unlimited
    concurrency: int = 4                     # max requests in flight
    breaker_threshold: int = 10              # consecutive failed lookups that open the circuit
    field_mapping: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_FIELD_MAPPING), hash=False)
    confidence_path: str = "confidence"
    default_confidence: float = 0.9

    def __post_init__(self):
        object.__setattr__(self, "base_url", str(self.base_url).rstrip("/"))
        if isinstance(self.field_mapping, Mapping):
            object.__setattr__(self, "field_mapping", dict(self.field_mapping))
        problems = _validate({f.name: getattr(self, f.name) for f in fields(self)}, allow_negative_rate=True)
        if problems:
            key, what, got = problems[0]
            raise ValueError(f"HttpProviderConfig: {key}: {what}, got {got!r}")

    @property
    def provider_id(self) -> str:
        """The cache's provider column: the base URL (switching vendor does not reuse answers)."""
        return self.base_url

    @classmethod
    def from_mapping(cls, d: Mapping, source: str, section: str = "enrichment_http") -> "HttpProviderConfig":
        """Validate a config mapping (e.g. the `enrichment_http` section of microseg.yml).

        Errors read `<source>: <section>.<key>: expected ..., got ...`; unknown keys are rejected.
        """
        prefix = f"{section}." if section else ""
        if not isinstance(d, Mapping):
            raise ValueError(f"{source}: {section or 'enrichment_http'}: expected a mapping, got {type(d).__name__}")
        known = [f.name for f in fields(cls)]
        if "api_key" in d:
            raise ValueError(f"{source}: {prefix}api_key: the API key is never read from a config file; "
                             f"put it in the environment variable named by {prefix}api_key_env "
                             f"(default MICROSEG_ENRICHMENT_API_KEY)")
        unknown = sorted(str(k) for k in d if k not in known)
        if unknown:
            raise ValueError(f"{source}: {prefix}{unknown[0]}: unknown key (unknown: {unknown}); known: {known}")
        if "base_url" not in d:
            raise ValueError(f"{source}: {prefix}base_url: expected an http(s) URL, got nothing (required)")
        values = dict(d)
        problems = _validate(values, allow_negative_rate=False)
        if problems:
            key, what, got = problems[0]
            raise ValueError(f"{source}: {prefix}{key}: {what}, got {got!r}")
        return cls(**values)


def _validate(v: dict, *, allow_negative_rate: bool) -> list[tuple[str, str, object]]:
    """(key, expectation, value) for every problem, in field order."""
    out: list[tuple[str, str, object]] = []

    def check(key, ok, what):
        if key in v and not ok(v[key]):
            out.append((key, what, v[key]))

    def url_ok(u):
        if not isinstance(u, str):
            return False
        parts = urlsplit(u.strip())
        return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.query
    check("base_url", url_ok, "expected an http(s) URL without query string, e.g. https://person.example.com")
    check("api_key_env", lambda x: isinstance(x, str) and bool(_ENV_NAME.match(x)),
          "expected an environment variable name (letters, digits, _)")
    check("lookup_by", lambda x: x in ("email_sha256", "email"), "expected 'email_sha256' or 'email'")
    for key in ("connect_timeout", "read_timeout", "backoff_base"):
        check(key, lambda x: _is_number(x) and x > 0, "expected a number > 0 (seconds)")
    check("backoff_max", lambda x: _is_number(x) and x > 0, "expected a number > 0 (seconds)")
    if not out and _is_number(v.get("backoff_base", 0.5)) and _is_number(v.get("backoff_max", 30.0)):
        if v.get("backoff_max", 30.0) < v.get("backoff_base", 0.5):
            out.append(("backoff_max", f"expected a number >= backoff_base ({v.get('backoff_base', 0.5)})",
                        v.get("backoff_max", 30.0)))
    check("max_retries", lambda x: _is_int(x) and 0 <= x <= 100, "expected an integer between 0 and 100")
    if allow_negative_rate:
        check("rate_limit", _is_number, "expected a number")
    else:
        check("rate_limit", lambda x: _is_number(x) and x >= 0, "expected a number >= 0")
    check("concurrency", lambda x: _is_int(x) and 1 <= x <= 256, "expected an integer between 1 and 256")
    check("breaker_threshold", lambda x: _is_int(x) and x >= 1, "expected an integer >= 1")

    def mapping_ok(m):
        return (isinstance(m, Mapping) and len(m) > 0
                and all(isinstance(k, str) and _ATTR_NAME.match(k) for k in m)
                and all(isinstance(p, str) and _PATH.match(p) for p in m.values()))
    check("field_mapping", mapping_ok,
          "expected a non-empty mapping of attribute names (lower_snake_case) to dotted JSON paths "
          "(e.g. {city: geo.city})")
    check("confidence_path", lambda x: isinstance(x, str) and bool(_PATH.match(x)),
          "expected a dotted JSON path, e.g. confidence or meta.score")
    check("default_confidence", lambda x: _is_number(x) and 0 <= x <= 1, "expected a number between 0 and 1")
    return out


# --------------------------------------------------------------------------------------------- results

@dataclass(frozen=True)
class LookupOutcome:
    key: str                                  # sha256 of the trimmed, lower-cased email
    status: str                               # found | unknown | failed
    attributes: dict[str, str] = field(default_factory=dict)
    confidence: float | None = None
    reason: str | None = None                 # failed only: http_503, timeout, malformed_response, ...
    attempts: int = 0                         # HTTP requests made for this lookup (0: cache / no call)


@dataclass
class LookupReport:
    outcomes: list[LookupOutcome]
    retries: int = 0                          # extra attempts, all lookups
    calls: int = 0                            # HTTP requests made
    breaker_opened: bool = False
    breaker_opened_after: int | None = None   # lookups finished when the breaker opened
    invalid_confidence: int = 0               # confidences replaced by the default (non-numeric / out of range)
    max_in_flight: int = 0
    elapsed_seconds: float = 0.0
    provider: str = ""

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(o.status for o in self.outcomes)
        return {s: c.get(s, 0) for s in STATUSES}

    @property
    def found(self) -> int:
        return self.counts["found"]

    @property
    def unknown(self) -> int:
        return self.counts["unknown"]

    @property
    def failed(self) -> int:
        return self.counts["failed"]

    @property
    def failures_by_reason(self) -> dict[str, int]:
        return dict(sorted(Counter(o.reason or "unspecified" for o in self.outcomes
                                   if o.status == "failed").items()))

    def summary(self) -> dict:
        """JSON-safe, no PII: for Dagster metadata."""
        return {
            "provider": _redact_url(self.provider),
            "lookups": len(self.outcomes),
            **self.counts,
            "failures_by_reason": self.failures_by_reason,
            "calls": self.calls,
            "retries": self.retries,
            "breaker_opened": self.breaker_opened,
            "breaker_opened_after": self.breaker_opened_after,
            "invalid_confidence": self.invalid_confidence,
            "max_in_flight": self.max_in_flight,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
        }


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if "@" in parts.netloc:
        parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
    return urlunsplit(parts)


def _get_path(doc, path: str):
    cur = doc
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _as_text(value) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else repr(value)
    return None


def map_response(doc: dict, config: HttpProviderConfig) -> tuple[dict[str, str], float, bool]:
    """(attributes, confidence, confidence_was_invalid) from a provider's JSON object."""
    attributes = {}
    for name, path in config.field_mapping.items():
        text = _as_text(_get_path(doc, path))
        if text is not None:
            attributes[name] = text
    raw = _get_path(doc, config.confidence_path)
    if raw is None:
        return attributes, config.default_confidence, False
    if _is_number(raw) and 0.0 <= raw <= 1.0:
        return attributes, float(raw), False
    return attributes, config.default_confidence, True


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None when absent/unparseable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
        return max(0.0, seconds) if math.isfinite(seconds) else None
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


# --------------------------------------------------------------------------------------------- client

class _Spacer:
    """Global rate limit: request starts are spaced 1/rate apart across all threads."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait_turn(self, stop: threading.Event) -> bool:
        """False when the run was stopped while waiting."""
        if not self.interval:
            return not stop.is_set()
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        delay = slot - now
        if delay > 0:
            return not stop.wait(delay)
        return not stop.is_set()


class _Run:
    """Shared state of one lookup_many call."""

    def __init__(self, items: list[tuple[str, str]], config: HttpProviderConfig, progress):
        self.items = items
        self.outcomes: list[LookupOutcome | None] = [None] * len(items)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.sem = threading.BoundedSemaphore(config.concurrency)
        self.done = 0
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.invalid_confidence = 0
        self.consecutive_failures = 0
        self.threshold = config.breaker_threshold
        self.breaker_open = False
        self.breaker_opened_after: int | None = None
        self.auth_error: ProviderAuthError | None = None
        self.progress = progress
        self.progress_every = max(1, min(500, len(items) // 100 or 1))
        self.progress_lock = threading.Lock()
        self.progress_reported = 0

    def call_started(self):
        with self.lock:
            self.calls += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def call_ended(self):
        with self.lock:
            self.in_flight -= 1

    def finish(self, i: int, outcome: LookupOutcome):
        with self.lock:
            self.outcomes[i] = outcome
            self.done += 1
            done = self.done
            if outcome.status == "failed" and outcome.reason not in ("circuit_open", "invalid_email"):
                self.consecutive_failures += 1
                if self.consecutive_failures >= self.threshold and not self.breaker_open:
                    self.breaker_open = True
                    self.breaker_opened_after = done
                    log.warning("enrichment: circuit breaker opened after %d consecutive failed lookups "
                                "(%d of %d lookups finished); no more calls in this run",
                                self.consecutive_failures, done, len(self.items))
            elif outcome.status in ("found", "unknown"):
                self.consecutive_failures = 0
        if self.progress is not None and (done % self.progress_every == 0 or done == len(self.items)):
            with self.progress_lock:           # serialised and monotonic
                if done > self.progress_reported:
                    self.progress_reported = done
                    self.progress(done, len(self.items))

    def abort(self, exc: ProviderAuthError):
        with self.lock:
            if self.auth_error is None:
                self.auth_error = exc
        self.stop.set()


class _BearerAuth(requests.auth.AuthBase):
    """Explicit auth: requests then skips ~/.netrc, which would otherwise replace our Authorization header."""

    def __init__(self, token: str):
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:                 # never show the key
        return "_BearerAuth(<redacted>)"


class HttpPersonLookup:
    """Looks people up at an HTTP provider following the contract in this module's docstring.

    session_factory: returns a requests.Session-like object (one per worker thread); default requests.Session.
    sleep: used for backoff / Retry-After waits (inject a recorder in tests). With the default time.sleep
        the waits are interruptible (an auth failure elsewhere ends them at once).
    rng: random.Random for the backoff jitter (seed it for determinism); default random.Random().
    progress: progress(done, total), called from worker threads (serialised) every 1% / 500 lookups.
    """

    def __init__(self, config: HttpProviderConfig, *, session_factory: Callable[[], requests.Session] | None = None,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
                 progress: Callable[[int, int], None] | None = None):
        self.config = config
        self._session_factory = session_factory or requests.Session
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._progress = progress
        self._spacer = _Spacer(config.rate_limit)

    # -- public

    def api_key(self) -> str:
        key = os.environ.get(self.config.api_key_env, "").strip()
        if not key:
            raise MissingApiKeyError(
                f"enrichment provider {_redact_url(self.config.base_url)}: no API key: environment variable "
                f"{self.config.api_key_env} is not set (or empty); set it to the provider's API key "
                f"(api_key_env names the variable)")
        return key

    def lookup_many(self, emails: list[str]) -> LookupReport:
        started = time.monotonic()
        api_key = self.api_key()               # before anything else: a clear error, no request made
        items: list[tuple[str, str]] = []
        seen: set[str] = set()
        for email in emails:
            normalized = str(email).strip().lower()
            key = email_key(normalized)
            if key not in seen:
                seen.add(key)
                items.append((key, normalized))
        run = _Run(items, self.config, self._progress)
        todo = []
        for i, (key, normalized) in enumerate(items):
            if "@" not in normalized or normalized.startswith("@") or normalized.endswith("@"):
                run.finish(i, LookupOutcome(key, "failed", reason="invalid_email"))
            else:
                todo.append(i)
        auth = _BearerAuth(api_key)
        if todo:
            queue = iter(todo)
            queue_lock = threading.Lock()

            def take() -> int | None:
                with queue_lock:
                    return next(queue, None)

            workers = min(self.config.concurrency, len(todo))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="enrich-http") as pool:
                futures = [pool.submit(self._worker, run, take, auth) for _ in range(workers)]
                try:
                    for f in futures:
                        f.result()
                except BaseException:
                    run.stop.set()
                    raise
        if run.auth_error is not None:
            raise run.auth_error
        outcomes = [o for o in run.outcomes if o is not None]
        if len(outcomes) != len(items):       # cannot happen without a stop, and a stop raised above
            raise RuntimeError("enrichment: internal error: lookups left unanswered")
        report = LookupReport(
            outcomes=outcomes, calls=run.calls,
            retries=sum(max(0, o.attempts - 1) for o in outcomes),
            breaker_opened=run.breaker_open, breaker_opened_after=run.breaker_opened_after,
            invalid_confidence=run.invalid_confidence, max_in_flight=run.max_in_flight,
            elapsed_seconds=time.monotonic() - started, provider=self.config.provider_id)
        log.info("enrichment: %d lookups: %s; %d calls, %d retries%s", len(outcomes), report.counts,
                 report.calls, report.retries,
                 f"; circuit breaker opened after {report.breaker_opened_after}" if report.breaker_opened else "")
        return report

    # -- internals

    def _worker(self, run: _Run, take, auth: requests.auth.AuthBase):
        session = self._session_factory()
        try:
            while not run.stop.is_set():
                i = take()
                if i is None:
                    return
                key, normalized = run.items[i]
                outcome = self._lookup_one(run, session, key, normalized, auth)
                if outcome is None:            # stopped (auth failure elsewhere)
                    return
                run.finish(i, outcome)
        except BaseException:
            run.stop.set()
            raise
        finally:
            close = getattr(session, "close", None)
            if close:
                close()

    def _backoff(self, retry_index: int) -> float:
        ceiling = min(self.config.backoff_max, self.config.backoff_base * (2 ** retry_index))
        with self._rng_lock:
            return self._rng.uniform(0.0, ceiling)

    def _wait(self, run: _Run, seconds: float) -> bool:
        if seconds <= 0:
            return not run.stop.is_set()
        if self._sleep is time.sleep:
            return not run.stop.wait(seconds)
        self._sleep(seconds)
        return not run.stop.is_set()

    def _lookup_one(self, run: _Run, session, key: str, normalized: str, auth) -> LookupOutcome | None:
        cfg = self.config
        url = cfg.base_url + FIND_PATH
        params = {"email_sha256": key} if cfg.lookup_by == "email_sha256" else {"email": normalized}
        attempts = 0
        malformed = 0
        while True:
            if run.stop.is_set():
                return None
            if run.breaker_open:
                return LookupOutcome(key, "failed", reason="circuit_open", attempts=attempts)
            if not self._spacer.wait_turn(run.stop):
                return None
            if run.breaker_open:
                return LookupOutcome(key, "failed", reason="circuit_open", attempts=attempts)
            retry_after = None
            with run.sem:
                attempts += 1
                run.call_started()
                try:
                    resp = session.get(url, params=params, headers=_HEADERS, auth=auth,
                                       timeout=(cfg.connect_timeout, cfg.read_timeout))
                    status = resp.status_code
                    body = resp.content
                    retry_after_header = resp.headers.get("Retry-After")
                    error = None
                except requests.Timeout:
                    error = "timeout"
                except requests.ConnectionError:
                    error = "connection_error"
                except requests.RequestException:
                    error = "connection_error"
                finally:
                    run.call_ended()
            if error is not None:
                reason, retry = error, True
            elif status == 200:
                doc = _parse_object(body)
                if doc is not None:
                    attributes, confidence, invalid = map_response(doc, cfg)
                    if invalid:
                        with run.lock:
                            run.invalid_confidence += 1
                    log.debug("enrichment: %s found (%d attributes, attempt %d)", key, len(attributes), attempts)
                    return LookupOutcome(key, "found", attributes, confidence, None, attempts)
                reason, retry = "malformed_response", malformed < MALFORMED_RETRIES
                malformed += 1
            elif status == 404:
                log.debug("enrichment: %s unknown (attempt %d)", key, attempts)
                return LookupOutcome(key, "unknown", {}, None, None, attempts)
            elif status in (401, 403):
                exc = ProviderAuthError(
                    f"enrichment provider {_redact_url(cfg.base_url)} answered HTTP {status}: the API key in "
                    f"environment variable {cfg.api_key_env} was refused; check or rotate the key. "
                    f"No retries; the remaining lookups were abandoned.")
                run.abort(exc)
                return None
            elif status == 429:
                reason, retry = "rate_limited", True
                retry_after = parse_retry_after(retry_after_header)
            elif 500 <= status <= 599:
                reason, retry = f"http_{status}", True
                retry_after = parse_retry_after(retry_after_header)
            elif 400 <= status <= 499:
                reason, retry = f"rejected_{status}", False
            else:
                reason, retry = f"unexpected_{status}", False
            retries_used = attempts - 1
            if not retry or retries_used >= cfg.max_retries:
                log.debug("enrichment: %s failed: %s after %d attempt(s)", key, reason, attempts)
                return LookupOutcome(key, "failed", reason=reason, attempts=attempts)
            if retry_after is not None:
                if retry_after > RETRY_AFTER_MAX:
                    log.debug("enrichment: %s: Retry-After %.0fs too long, giving up", key, retry_after)
                    return LookupOutcome(key, "failed", reason=reason, attempts=attempts)
                delay = retry_after
            else:
                delay = self._backoff(retries_used)
            log.debug("enrichment: %s: %s, retry %d in %.3fs", key, reason, retries_used + 1, delay)
            if not self._wait(run, delay):
                return None


def _parse_object(body: bytes) -> dict | None:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, TypeError):
        return None
    if not isinstance(doc, dict):
        return None
    if "error" in doc and len(doc) == 1:
        return None
    return doc
