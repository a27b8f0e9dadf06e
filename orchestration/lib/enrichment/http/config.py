"""The http provider's settings: `HttpProviderConfig`, validated field by field.

`HttpProviderConfig.from_mapping` reads the `enrichment_http` section of microseg.yml; every error names the
file and the key (`microseg.yml: enrichment_http.rate_limit: expected a number >= 0, got 'fast'`), unknown
keys are rejected and an `api_key` key is refused (the key only ever comes from the environment variable
named by `api_key_env`). The constructor runs the same checks (errors then read `HttpProviderConfig: ...`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from urllib.parse import urlsplit, urlunsplit

DEFAULT_API_KEY_ENV = "MICROSEG_ENRICHMENT_API_KEY"
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
DEFAULT_SECTION = "enrichment_http"

ENV_VAR_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ATTRIBUTE_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
JSON_PATH_RE = re.compile(r"^[^.\s]+(\.[^.\s]+)*$")


def is_finite_number(value) -> bool:
    """An int or float (not a bool), neither NaN nor infinite."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def redact_url(url: str) -> str:
    """The URL without the user:password@ part of its host, for logs, errors and metadata."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
    return urlunsplit(parts)


@dataclass(frozen=True)
class HttpProviderConfig:
    base_url: str
    api_key_env: str = DEFAULT_API_KEY_ENV
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
        problems = config_problems({f.name: getattr(self, f.name) for f in fields(self)},
                                   allow_negative_rate=True)
        if problems:
            key, expected, got = problems[0]
            raise ValueError(f"HttpProviderConfig: {key}: {expected}, got {got!r}")

    @property
    def provider_id(self) -> str:
        """The cache's provider column: the base URL (switching vendor does not reuse answers)."""
        return self.base_url

    @classmethod
    def from_mapping(cls, settings: Mapping, source: str, section: str = DEFAULT_SECTION) -> HttpProviderConfig:
        """Validate a config mapping (e.g. the `enrichment_http` section of microseg.yml).

        Errors read `<source>: <section>.<key>: expected ..., got ...`; unknown keys are rejected.
        """
        prefix = f"{section}." if section else ""
        if not isinstance(settings, Mapping):
            raise ValueError(f"{source}: {section or DEFAULT_SECTION}: expected a mapping, "
                             f"got {type(settings).__name__}")
        known = [f.name for f in fields(cls)]
        if "api_key" in settings:
            raise ValueError(f"{source}: {prefix}api_key: the API key is never read from a config file; "
                             f"put it in the environment variable named by {prefix}api_key_env "
                             f"(default {DEFAULT_API_KEY_ENV})")
        unknown = sorted(str(k) for k in settings if k not in known)
        if unknown:
            raise ValueError(f"{source}: {prefix}{unknown[0]}: unknown key (unknown: {unknown}); known: {known}")
        if "base_url" not in settings:
            raise ValueError(f"{source}: {prefix}base_url: expected an http(s) URL, got nothing (required)")
        values = dict(settings)
        problems = config_problems(values, allow_negative_rate=False)
        if problems:
            key, expected, got = problems[0]
            raise ValueError(f"{source}: {prefix}{key}: {expected}, got {got!r}")
        return cls(**values)


def _is_http_url(url) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.query


def _is_field_mapping(mapping) -> bool:
    return (isinstance(mapping, Mapping) and len(mapping) > 0
            and all(isinstance(k, str) and ATTRIBUTE_NAME_RE.match(k) for k in mapping)
            and all(isinstance(p, str) and JSON_PATH_RE.match(p) for p in mapping.values()))


def config_problems(values: dict, *, allow_negative_rate: bool) -> list[tuple[str, str, object]]:
    """(key, expectation, value) for every problem of the given settings, in field order; keys that are
    absent are not checked (the defaults are valid)."""
    problems: list[tuple[str, str, object]] = []

    def check(key, is_valid, expected):
        if key in values and not is_valid(values[key]):
            problems.append((key, expected, values[key]))

    check("base_url", _is_http_url,
          "expected an http(s) URL without query string, e.g. https://person.example.com")
    check("api_key_env", lambda x: isinstance(x, str) and bool(ENV_VAR_NAME_RE.match(x)),
          "expected an environment variable name (letters, digits, _)")
    check("lookup_by", lambda x: x in ("email_sha256", "email"), "expected 'email_sha256' or 'email'")
    for key in ("connect_timeout", "read_timeout", "backoff_base", "backoff_max"):
        check(key, lambda x: is_finite_number(x) and x > 0, "expected a number > 0 (seconds)")
    backoff_base, backoff_max = values.get("backoff_base", 0.5), values.get("backoff_max", 30.0)
    if not problems and is_finite_number(backoff_base) and is_finite_number(backoff_max):
        if backoff_max < backoff_base:
            problems.append(("backoff_max", f"expected a number >= backoff_base ({backoff_base})", backoff_max))
    check("max_retries", lambda x: is_integer(x) and 0 <= x <= 100, "expected an integer between 0 and 100")
    if allow_negative_rate:
        check("rate_limit", is_finite_number, "expected a number")
    else:
        check("rate_limit", lambda x: is_finite_number(x) and x >= 0, "expected a number >= 0")
    check("concurrency", lambda x: is_integer(x) and 1 <= x <= 256, "expected an integer between 1 and 256")
    check("breaker_threshold", lambda x: is_integer(x) and x >= 1, "expected an integer >= 1")
    check("field_mapping", _is_field_mapping,
          "expected a non-empty mapping of attribute names (lower_snake_case) to dotted JSON paths "
          "(e.g. {city: geo.city})")
    check("confidence_path", lambda x: isinstance(x, str) and bool(JSON_PATH_RE.match(x)),
          "expected a dotted JSON path, e.g. confidence or meta.score")
    check("default_confidence", lambda x: is_finite_number(x) and 0 <= x <= 1,
          "expected a number between 0 and 1")
    return problems
