"""`HttpPersonLookup`: the bounded, rate-limited, retrying client of the provider contract described in the
package docstring (orchestration/lib/enrichment/http/__init__.py): retries with full-jitter backoff or the
server's Retry-After, a global rate limit, at most `concurrency` requests in flight, a circuit breaker, and a
fail-fast stop when the API key is refused."""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import requests

from orchestration.lib.enrichment.http.config import HttpProviderConfig, redact_url
from orchestration.lib.enrichment.http.results import LookupOutcome, LookupReport, email_key, map_response

# the package's logger, as before the package split (log configuration refers to it by this name)
log = logging.getLogger(__package__)

FIND_PATH = "/v2/people/find"
ACCEPT_JSON = {"Accept": "application/json"}
RETRY_AFTER_MAX = 300.0        # seconds; a longer Retry-After fails the lookup instead of stalling the run
MALFORMED_RETRIES = 1          # a 200 with a body that is not a JSON object is retried at most this often
# failures that do not count towards the circuit breaker (no request failed)
NOT_PROVIDER_FAILURES = ("circuit_open", "invalid_email")


class ProviderAuthError(RuntimeError):
    """The provider refused our API key (401/403), or there is no key: the run must stop."""


class MissingApiKeyError(ProviderAuthError):
    """The environment variable that should hold the API key is unset or empty."""


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


def is_lookupable(normalized_email: str) -> bool:
    """Worth a request: has an @ with something on both sides (else `failed` reason `invalid_email`)."""
    return ("@" in normalized_email and not normalized_email.startswith("@")
            and not normalized_email.endswith("@"))


def distinct_lookups(emails: list[str]) -> list[tuple[str, str]]:
    """(email_key, trimmed lower-cased email) per distinct email, in order of first appearance."""
    items: list[tuple[str, str]] = []
    seen: set[str] = set()
    for email in emails:
        normalized = str(email).strip().lower()
        key = email_key(normalized)
        if key not in seen:
            seen.add(key)
            items.append((key, normalized))
    return items


def _json_object(body: bytes) -> dict | None:
    """The body as a JSON object; None for anything else, including a bare {"error": ...} envelope."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, TypeError):
        return None
    if not isinstance(doc, dict):
        return None
    if "error" in doc and len(doc) == 1:
        return None
    return doc


def _failure_policy(status: int, retry_after_header: str | None) -> tuple[str, bool, float | None]:
    """(reason, retry?, Retry-After seconds) of a status that is neither an answer nor an auth refusal."""
    if status == 429:
        return "rate_limited", True, parse_retry_after(retry_after_header)
    if 500 <= status <= 599:
        return f"http_{status}", True, parse_retry_after(retry_after_header)
    if 400 <= status <= 499:
        return f"rejected_{status}", False, None
    return f"unexpected_{status}", False, None


class _RequestSpacer:
    """Global rate limit: request starts are spaced 1/rate apart across all threads."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next_start = 0.0
        self._lock = threading.Lock()

    def wait_turn(self, stop: threading.Event) -> bool:
        """False when the run was stopped while waiting."""
        if not self.interval:
            return not stop.is_set()
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_start)
            self._next_start = slot + self.interval
        delay = slot - now
        if delay > 0:
            return not stop.wait(delay)
        return not stop.is_set()


class _LookupRun:
    """Shared state of one lookup_many call: outcomes, counters, the circuit breaker and the stop signal."""

    def __init__(self, items: list[tuple[str, str]], config: HttpProviderConfig, progress):
        self.items = items
        self.outcomes: list[LookupOutcome | None] = [None] * len(items)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.in_flight_slots = threading.BoundedSemaphore(config.concurrency)
        self.done = 0
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.invalid_confidence = 0
        self.consecutive_failures = 0
        self.breaker_threshold = config.breaker_threshold
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

    def count_invalid_confidence(self):
        with self.lock:
            self.invalid_confidence += 1

    def finish(self, index: int, outcome: LookupOutcome):
        with self.lock:
            self.outcomes[index] = outcome
            self.done += 1
            done = self.done
            if outcome.status == "failed" and outcome.reason not in NOT_PROVIDER_FAILURES:
                self.consecutive_failures += 1
                if self.consecutive_failures >= self.breaker_threshold and not self.breaker_open:
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


@dataclass(frozen=True)
class _Response:
    """One attempt's result: a status, body and Retry-After header, or the transport error instead."""

    status: int = 0
    body: bytes = b""
    retry_after_header: str | None = None
    error: str | None = None                   # timeout | connection_error: no response


class HttpPersonLookup:
    """Looks people up at an HTTP provider following the contract in the package docstring.

    session_factory: returns a requests.Session-like object (one per worker thread); default requests.Session.
    sleep: used for backoff / Retry-After waits (inject a recorder in tests). With the default time.sleep
        the waits are interruptible (an auth failure elsewhere ends them at once).
    rng: random.Random for the backoff jitter (seed it for determinism); default random.Random().
    progress: progress(done, total), called from worker threads (serialised) every 1% / 500 lookups.
    api_key: returns the API key when the first request is about to go out (never earlier: a run served from
        the cache needs none). Secrets are read by the caller (the Dagster resource reads the env var named by
        `api_key_env`), never here; it raises MissingApiKeyError when there is none.
    """

    def __init__(self, config: HttpProviderConfig, *, api_key: Callable[[], str] | None = None,
                 session_factory: Callable[[], requests.Session] | None = None,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
                 progress: Callable[[int, int], None] | None = None):
        self.config = config
        self._api_key = api_key
        self._session_factory = session_factory or requests.Session
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._progress = progress
        self._spacer = _RequestSpacer(config.rate_limit)

    # -- public

    def api_key(self) -> str:
        key = (self._api_key() if self._api_key else "").strip()
        if not key:
            raise MissingApiKeyError(f"enrichment provider {redact_url(self.config.base_url)}: no API key given")
        return key

    def lookup_many(self, emails: list[str]) -> LookupReport:
        started = time.monotonic()
        api_key = self.api_key()               # before anything else: a clear error, no request made
        items = distinct_lookups(emails)
        run = _LookupRun(items, self.config, self._progress)
        todo = []
        for index, (key, normalized) in enumerate(items):
            if is_lookupable(normalized):
                todo.append(index)
            else:
                run.finish(index, LookupOutcome(key, "failed", reason="invalid_email"))
        if todo:
            self._run_workers(run, todo, _BearerAuth(api_key))
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

    def _run_workers(self, run: _LookupRun, todo: list[int], auth: requests.auth.AuthBase) -> None:
        """Up to `concurrency` worker threads take the lookups of `todo` one at a time until none is left."""
        queue = iter(todo)
        queue_lock = threading.Lock()

        def take() -> int | None:
            with queue_lock:
                return next(queue, None)

        workers = min(self.config.concurrency, len(todo))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="enrich-http") as pool:
            futures = [pool.submit(self._worker, run, take, auth) for _ in range(workers)]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                run.stop.set()
                raise

    def _worker(self, run: _LookupRun, take, auth: requests.auth.AuthBase):
        session = self._session_factory()
        try:
            while not run.stop.is_set():
                index = take()
                if index is None:
                    return
                key, normalized = run.items[index]
                outcome = self._lookup_one(run, session, key, normalized, auth)
                if outcome is None:            # stopped (auth failure elsewhere)
                    return
                run.finish(index, outcome)
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

    def _wait(self, run: _LookupRun, seconds: float) -> bool:
        if seconds <= 0:
            return not run.stop.is_set()
        if self._sleep is time.sleep:
            return not run.stop.wait(seconds)
        self._sleep(seconds)
        return not run.stop.is_set()

    def _request(self, run: _LookupRun, session, params: dict, auth) -> _Response:
        """One GET, holding one of the `concurrency` in-flight slots."""
        config = self.config
        with run.in_flight_slots:
            run.call_started()
            try:
                resp = session.get(config.base_url + FIND_PATH, params=params, headers=ACCEPT_JSON, auth=auth,
                                   timeout=(config.connect_timeout, config.read_timeout))
                return _Response(resp.status_code, resp.content, resp.headers.get("Retry-After"))
            except requests.Timeout:
                return _Response(error="timeout")
            except requests.RequestException:  # ConnectionError and every other transport failure
                return _Response(error="connection_error")
            finally:
                run.call_ended()

    def _lookup_one(self, run: _LookupRun, session, key: str, normalized: str, auth) -> LookupOutcome | None:
        """The outcome of one person's lookup after its retries; None when the run was stopped."""
        config = self.config
        params = {"email_sha256": key} if config.lookup_by == "email_sha256" else {"email": normalized}
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
            attempts += 1
            response = self._request(run, session, params, auth)
            retry_after = None
            if response.error is not None:
                reason, retry = response.error, True
            elif response.status == 200:
                doc = _json_object(response.body)
                if doc is not None:
                    attributes, confidence, invalid = map_response(doc, config)
                    if invalid:
                        run.count_invalid_confidence()
                    log.debug("enrichment: %s found (%d attributes, attempt %d)", key, len(attributes), attempts)
                    return LookupOutcome(key, "found", attributes, confidence, None, attempts)
                reason, retry = "malformed_response", malformed < MALFORMED_RETRIES
                malformed += 1
            elif response.status == 404:
                log.debug("enrichment: %s unknown (attempt %d)", key, attempts)
                return LookupOutcome(key, "unknown", {}, None, None, attempts)
            elif response.status in (401, 403):
                run.abort(self._key_refused(response.status))
                return None
            else:
                reason, retry, retry_after = _failure_policy(response.status, response.retry_after_header)
            delay = self._retry_delay(key, reason, attempts, retry, retry_after)
            if delay is None:
                return LookupOutcome(key, "failed", reason=reason, attempts=attempts)
            if not self._wait(run, delay):
                return None

    def _retry_delay(self, key: str, reason: str, attempts: int, retry: bool,
                     retry_after: float | None) -> float | None:
        """Seconds to wait before the next attempt (Retry-After, else backoff); None: the lookup ends failed
        (not retryable, retries used up, or a Retry-After above RETRY_AFTER_MAX)."""
        retries_used = attempts - 1
        if not retry or retries_used >= self.config.max_retries:
            log.debug("enrichment: %s failed: %s after %d attempt(s)", key, reason, attempts)
            return None
        if retry_after is not None:
            if retry_after > RETRY_AFTER_MAX:
                log.debug("enrichment: %s: Retry-After %.0fs too long, giving up", key, retry_after)
                return None
            delay = retry_after
        else:
            delay = self._backoff(retries_used)
        log.debug("enrichment: %s: %s, retry %d in %.3fs", key, reason, retries_used + 1, delay)
        return delay

    def _key_refused(self, status: int) -> ProviderAuthError:
        return ProviderAuthError(
            f"enrichment provider {redact_url(self.config.base_url)} answered HTTP {status}: the API key in "
            f"environment variable {self.config.api_key_env} was refused; check or rotate the key. "
            f"No retries; the remaining lookups were abandoned.")
