"""What a lookup run returns: one `LookupOutcome` per distinct email, the run's `LookupReport`, and the
mapping of a vendor's JSON answer onto our attributes (`map_response`: which values are kept, which
confidence counts as valid). `email_key` is the identity of a person everywhere (cache, report, logs)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from orchestration.lib.core import email_key  # noqa: F401 (the key of a person here: re-exported)
from orchestration.lib.enrichment.http.config import HttpProviderConfig, is_finite_number, redact_url

STATUSES = ("found", "unknown", "failed")


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
        by_status = Counter(o.status for o in self.outcomes)
        return {s: by_status.get(s, 0) for s in STATUSES}

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
            "provider": redact_url(self.provider),
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


def _value_at_path(doc, path: str):
    """The value at a dotted path of nested JSON objects; None when any step is missing."""
    current = doc
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def _as_attribute_text(value) -> str | None:
    """A vendor value as attribute text: non-empty trimmed strings, numbers as text (12.0 -> "12");
    booleans, empty strings, objects and lists -> None."""
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
        text = _as_attribute_text(_value_at_path(doc, path))
        if text is not None:
            attributes[name] = text
    raw = _value_at_path(doc, config.confidence_path)
    if raw is None:
        return attributes, config.default_confidence, False
    if is_finite_number(raw) and 0.0 <= raw <= 1.0:
        return attributes, float(raw), False
    return attributes, config.default_confidence, True
