"""Enrichment providers behind one interface, the third-party answer -> attribute mapping, and coverage.

A provider turns profiles (person_id, email, first_name, city, country, ...) into a long frame of
attributes: one row per person, attribute and value, with a confidence in [0, 1] and the source. Two
providers ship:

- ``ReferenceProvider`` (provenance ``reference``): offline reference data (lib/enrichment/reference.py). It
  always runs: it costs nothing and fills what a vendor does not know.
- ``HttpProvider`` (provenance ``third_party``): person lookups over HTTP (lib/enrichment/http/) through the
  warehouse cache (lib/enrichment/cache.py). Chosen with ``enrichment_provider: http``.

Values a vendor returns are checked before they are written: a gender must read as female/male/other
(in any spelling the CRM normalizer knows), a country as an ISO country, an age band, city type or
email domain type as one of its KNOWN_VALUES (lib/enrichment/attributes.py), a population as digits; other
attributes are trimmed text of at most 200 characters. Anything else is counted as
``invalid_value`` and dropped: a wrong value is never written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from orchestration.lib.core import to_utc
from orchestration.lib.enrichment import reference as enrich_reference
from orchestration.lib.enrichment.attribute_frames import LONG_COLUMNS, counts_by_value, empty_attributes
from orchestration.lib.enrichment.attributes import (
    ATTRIBUTES,
    KNOWN_VALUES,
    PROVENANCES,
)
from orchestration.lib.identity import normalize_country, normalize_gender

MAX_TEXT = 200


@dataclass
class ProviderResult:
    attributes: pd.DataFrame                  # LONG_COLUMNS
    report: dict = field(default_factory=dict)  # JSON-safe, no personal data


class EnrichmentProvider(Protocol):
    name: str
    provenance: str

    def enrich(self, profiles: pd.DataFrame, now: pd.Timestamp) -> ProviderResult: ...


class ReferenceProvider:
    """Offline reference data; needs the columns enrich_reference.INPUT_COLUMNS (+ gender for the report)."""

    name = "reference"
    provenance = "reference"

    def enrich(self, profiles: pd.DataFrame, now: pd.Timestamp) -> ProviderResult:
        declared = profiles["gender"] if "gender" in profiles.columns else None
        attributes, report = enrich_reference.reference_attributes(profiles, declared_gender=declared)
        attributes["obtained_at"] = to_utc(now)
        return ProviderResult(attributes[LONG_COLUMNS], report.to_dict())


class HttpProvider:
    """Person lookups by email through the warehouse cache: only persons without a fresh cached answer are
    looked up, answers (found or unknown) are cached for `ttl_days`, failures are not (the next run retries
    exactly those). `con` is the warehouse connection the cache lives in."""

    name = "http"
    provenance = "third_party"

    def __init__(self, config, con, ttl_days: float, progress=None, api_key=None):
        self.config, self.con, self.ttl_days, self.progress = config, con, ttl_days, progress
        self.api_key = api_key     # a callable returning the key, given by the resource (lib reads no secrets)

    def enrich(self, profiles: pd.DataFrame, now: pd.Timestamp) -> ProviderResult:
        from orchestration.lib.enrichment import cache as enrich_cache
        from orchestration.lib.enrichment.http import HttpPersonLookup, email_key

        with_email = profiles[profiles["email"].notna()]
        emails = with_email["email"].astype(str).tolist()
        lookup = HttpPersonLookup(self.config, api_key=self.api_key, progress=self.progress)
        outcomes, report, cache_hits = enrich_cache.lookup_with_cache(
            self.con, lookup, emails, to_utc(now), self.ttl_days)
        fetched = enrich_cache.fetched_at(   # when each answer was obtained (this run's or a cached one)
            self.con, self.config.provider_id, [k for k, o in outcomes.items() if o.status == "found"])
        keys = [email_key(e) for e in emails]
        attributes, invalid = answers_to_attributes(with_email["person_id"].astype(str).tolist(), keys,
                                                    outcomes, fetched, source=self.config.provider_id)
        summary = report.summary()
        statuses = pd.Series([outcomes[k].status if k in outcomes else "failed" for k in keys])
        summary.update({
            "persons_with_email": len(keys),
            "cache_hits": int(cache_hits),
            "persons_by_status": counts_by_value(statuses),
            "invalid_values": invalid,
        })
        return ProviderResult(attributes, summary)



def lookup_warnings(report: dict) -> list[str]:
    """What an operator should know about a third-party run (HttpProvider.enrich's report): failed lookups
    (retried next run) and an opened circuit breaker."""
    warnings = []
    failed = report.get("persons_by_status", {}).get("failed", 0)
    if failed:
        warnings.append(f"{failed:,} lookups failed ({report.get('failures_by_reason')}); they are "
                        "retried on the next run")
    if report.get("breaker_opened"):
        warnings.append(f"circuit breaker opened after {report.get('breaker_opened_after')} lookups: "
                        "the provider was not called again in this run")
    return warnings


def answers_to_attributes(person_ids: list[str], keys: list[str], outcomes: dict, fetched_at: dict,
                          source: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """Long attribute rows of each person whose lookup key has a `found` answer, every value checked
    (module docstring); returns the frame and the invalid values counted per attribute."""
    rows, invalid = [], {}
    for person_id, key in zip(person_ids, keys):
        outcome = outcomes.get(key)
        if outcome is None or outcome.status != "found":
            continue
        confidence = outcome.confidence
        for attribute, raw in sorted(outcome.attributes.items()):
            value = checked_value(attribute, raw)
            if value is None:
                invalid[attribute] = invalid.get(attribute, 0) + 1
                continue
            rows.append((person_id, attribute, value, confidence, source, fetched_at.get(key)))
    if not rows:
        return empty_attributes(), invalid
    frame = pd.DataFrame(rows, columns=LONG_COLUMNS)
    frame["obtained_at"] = pd.to_datetime(frame["obtained_at"])
    return frame, invalid


def checked_value(attribute: str, raw) -> str | None:
    """The value as our attribute holds it, or None when it is not a value of that attribute."""
    if attribute not in ATTRIBUTES or raw is None:
        return None
    text = str(raw).strip()
    if not text or len(text) > MAX_TEXT:
        return None
    if attribute == "gender":
        return normalize_gender(text)[0]
    if attribute == "country":
        return normalize_country(text)[0]
    if attribute == "city_population":
        return text if text.isdigit() else None
    if attribute in KNOWN_VALUES:
        return text if text in KNOWN_VALUES[attribute] else None
    return text


def coverage(con, relation: str = "enrichment.profiles_enriched") -> dict[str, dict]:
    """Per attribute of `relation` (one row per person): the share of persons with a value and how many
    values come from each provenance. Counted in one SQL scan, nothing loaded into Python."""
    columns = {row[0] for row in con.execute(f"describe select * from {relation}").fetchall()}
    present = [a for a in ATTRIBUTES if a in columns]
    counts = [f'count("{a}")' for a in present]
    counts += [f"count(*) filter (where \"{a}__provenance\" = '{p}')" for a in present for p in PROVENANCES]
    row = con.execute(f"select count(*), {', '.join(counts) or '0'} from {relation}").fetchall()[0]
    n, values, by_provenance = row[0], row[1:1 + len(present)], row[1 + len(present):]
    out = {}
    for i, attribute in enumerate(present):
        per = by_provenance[i * len(PROVENANCES):(i + 1) * len(PROVENANCES)]
        out[attribute] = {"coverage": round(values[i] / n, 4) if n else 0.0,
                          **{p: int(c) for p, c in zip(PROVENANCES, per)}}
    return out


def coverage_drops(previous: dict[str, float], current: dict[str, float], max_drop: float) -> list[dict]:
    """Attributes whose coverage fell by more than `max_drop` (a share of the previous coverage)."""
    drops = []
    for attribute, before in sorted(previous.items()):
        now = current.get(attribute, 0.0)
        if before > 0 and (before - now) / before > max_drop:
            drops.append({"attribute": attribute, "previous": before, "current": now,
                          "drop": round((before - now) / before, 4)})
    return drops
