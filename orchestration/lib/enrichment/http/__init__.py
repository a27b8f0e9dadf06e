"""HTTP person-lookup enrichment provider: a bounded, rate-limited, retrying client (pure library).

config   `HttpProviderConfig` (`from_mapping`: microseg.yml validation, errors name file and key)
client   `HttpPersonLookup`: retries, backoff, Retry-After, rate limit, concurrency, circuit breaker
results  `LookupOutcome`, `LookupReport`, `map_response` (which vendor values are kept), `email_key`

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
order of first appearance. ``lib/enrichment/cache.py`` keeps answers (found/unknown, never failed) in DuckDB.
"""

from orchestration.lib.core.lazy import lazy_exports

_EXPORTS = {
    "DEFAULT_FIELD_MAPPING": "config",
    "HttpProviderConfig": "config",
    "FIND_PATH": "client",
    "HttpPersonLookup": "client",
    "MALFORMED_RETRIES": "client",
    "MissingApiKeyError": "client",
    "redact_url": "client",
    "ProviderAuthError": "client",
    "RETRY_AFTER_MAX": "client",
    "parse_retry_after": "client",
    "LookupOutcome": "results",
    "LookupReport": "results",
    "STATUSES": "results",
    "email_key": "results",
    "map_response": "results",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
