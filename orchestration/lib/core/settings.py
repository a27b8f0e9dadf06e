"""The user's settings: `microseg.yml` with every key overridable by `MICROSEG_<KEY>` env vars."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from datetime import date, datetime, timezone
from pathlib import Path

import yaml

from orchestration.lib.core.paths import REPO_ROOT

ENV_PREFIX = "MICROSEG_"
ENRICHMENT_PROVIDERS = ("reference", "http")


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the setting and where it came from."""


@dataclass(frozen=True)
class Settings:
    landing: Path
    warehouse: Path
    segments: Path
    reports: Path
    as_of: str = ""
    future_tolerance_hours: float = 24.0
    duckdb_memory_limit: str = "4GB"
    # identity resolution (issue 3): match probabilities are calibrated per run (Fellegi-Sunter, EM)
    auto_merge_threshold: float = 0.95   # a pair at or above this probability is merged
    review_threshold: float = 0.60       # at or above this (and below auto_merge): the review queue
    max_cluster_size: int = 8            # no person is built from more contact records than this
    review: Path | None = None           # review queue export and the reviewer's decisions CSV
    scoring: Path | None = None          # scoring.yml: weights, half-lives, tier thresholds (issue 5)
    segment_max_change: float = 0.5      # the gate fails a segment whose size moved more than this share
    segment_change_min_members: int = 20  # ... unless it has fewer members than this, before and now
    # enrichment (issue 4)
    enrichment_provider: str = "reference"   # reference (offline, default) | http (person lookups + reference)
    enrichment_http: dict | None = None      # the http provider's settings (lib/enrich_http.HttpProviderConfig)
    enrichment_cache_ttl_days: float = 30.0  # an http answer (found or unknown) is reused this long
    inference_min_confidence: float = 0.7    # an inferred value is applied only at or above this probability
    enrichment_coverage_max_drop: float = 0.2  # warn when an attribute's coverage falls by more than this share

    @property
    def data_docs_dir(self) -> Path:
        return self.reports / "data_docs"

    def export_env(self) -> None:
        """Expose the resolved paths to child processes (dbt reads MICROSEG_WAREHOUSE in profiles.yml)."""
        os.environ[f"{ENV_PREFIX}WAREHOUSE"] = str(self.warehouse)
        os.environ[f"{ENV_PREFIX}LANDING"] = str(self.landing)
        os.environ[f"{ENV_PREFIX}DUCKDB_MEMORY_LIMIT"] = self.duckdb_memory_limit


def find_settings_file() -> Path | None:
    explicit = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise SettingsError(f"{ENV_PREFIX}CONFIG points to {path}, which is not a file")
        return path
    for candidate in (Path.cwd() / "microseg.yml", REPO_ROOT / "microseg.yml"):
        if candidate.is_file():
            return candidate
    return None


def load_settings(overrides: dict | None = None) -> Settings:
    """Defaults < microseg.yml < MICROSEG_* env vars < explicit overrides (CLI flags)."""
    path = find_settings_file()
    base_dir = path.parent if path else Path.cwd()
    values: dict = {}
    if path:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise SettingsError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(loaded, dict):
            raise SettingsError(f"{path}: expected a mapping of settings, got {type(loaded).__name__}")
        values.update(loaded)
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise SettingsError(f"{path}: unknown setting(s) {unknown}; known: {sorted(known)}")
    for name in known:
        env = os.environ.get(ENV_PREFIX + name.upper())
        if env is not None:
            values[name] = env
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value
    defaults = {"landing": "data/landing", "warehouse": "data/warehouse.duckdb",
                "segments": "segments", "reports": "reports", "review": "review",
                "scoring": "scoring.yml"}
    resolved = {}
    for name in ("landing", "warehouse", "segments", "reports", "review", "scoring"):
        p = Path(str(values.get(name) or defaults[name])).expanduser()
        resolved[name] = (p if p.is_absolute() else base_dir / p).resolve()
    as_of = str(values.get("as_of") or "")
    if as_of:
        parse_as_of(as_of)  # fail early with a clear message
    try:
        tolerance = float(values.get("future_tolerance_hours", 24))
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"future_tolerance_hours must be a number, got {values.get('future_tolerance_hours')!r}") from exc
    memory = str(values.get("duckdb_memory_limit") or "4GB")
    auto_merge = _number(values, "auto_merge_threshold", 0.95, float)
    review = _number(values, "review_threshold", 0.60, float)
    for name, v in (("auto_merge_threshold", auto_merge), ("review_threshold", review)):
        if not 0.0 < v <= 1.0:
            raise SettingsError(f"{name} must be a probability in (0, 1], got {v}")
    if review > auto_merge:
        raise SettingsError(f"review_threshold ({review}) must not be above auto_merge_threshold ({auto_merge})")
    cap = _number(values, "max_cluster_size", 8, int)
    if cap < 2:
        raise SettingsError(f"max_cluster_size must be at least 2, got {cap}")
    max_change = _number(values, "segment_max_change", 0.5, float)
    if max_change <= 0:
        raise SettingsError(f"segment_max_change must be a positive share (0.5 = 50%), got {max_change}")
    min_members = _number(values, "segment_change_min_members", 20, int)
    provider = str(values.get("enrichment_provider") or "reference").strip()
    if provider not in ENRICHMENT_PROVIDERS:
        raise SettingsError(f"enrichment_provider must be one of {list(ENRICHMENT_PROVIDERS)}, got {provider!r}")
    http = _mapping(values, "enrichment_http")
    if provider == "http" and not http.get("base_url"):
        raise SettingsError("enrichment_provider is 'http' but enrichment_http.base_url is not set "
                            "(e.g. enrichment_http: {base_url: 'https://person.example.com'})")
    if http:
        from orchestration.lib.enrichment import HttpProviderConfig

        try:
            HttpProviderConfig.from_mapping(http, str(path or "settings"))
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc
    ttl = _number(values, "enrichment_cache_ttl_days", 30.0, float)
    if ttl < 0:
        raise SettingsError(f"enrichment_cache_ttl_days must be >= 0, got {ttl}")
    min_confidence = _number(values, "inference_min_confidence", 0.7, float)
    if not 0.0 <= min_confidence <= 1.0:
        raise SettingsError(f"inference_min_confidence must be a probability in [0, 1], got {min_confidence}")
    max_drop = _number(values, "enrichment_coverage_max_drop", 0.2, float)
    if not 0.0 < max_drop <= 1.0:
        raise SettingsError(f"enrichment_coverage_max_drop must be a share in (0, 1], got {max_drop}")
    return Settings(as_of=as_of, future_tolerance_hours=tolerance, duckdb_memory_limit=memory,
                    auto_merge_threshold=auto_merge, review_threshold=review, max_cluster_size=cap,
                    segment_max_change=max_change, segment_change_min_members=min_members,
                    enrichment_provider=provider, enrichment_http=http, enrichment_cache_ttl_days=ttl,
                    inference_min_confidence=min_confidence, enrichment_coverage_max_drop=max_drop,
                    **resolved)


def _mapping(values: dict, name: str) -> dict:
    """A nested mapping setting; from an env var it is YAML/JSON text (MICROSEG_ENRICHMENT_HTTP='{...}')."""
    raw = values.get(name)
    if raw in (None, ""):
        return {}
    if isinstance(raw, str):
        try:
            raw = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise SettingsError(f"{name} must be a mapping (YAML or JSON text in the env var): {exc}") from exc
    if not isinstance(raw, dict):
        raise SettingsError(f"{name} must be a mapping of settings, got {type(raw).__name__}")
    return dict(raw)


def _number(values: dict, name: str, default, kind):
    raw = values.get(name, default)
    try:
        return kind(raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{name} must be {'an integer' if kind is int else 'a number'}, got {raw!r}") from exc


def parse_as_of(value: str) -> datetime:
    """Parse an ISO-8601 instant; a value without offset is taken as UTC. Returns aware UTC."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SettingsError(f"as_of {value!r} is not an ISO-8601 instant (e.g. 2026-11-01T00:00:00Z)") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def to_utc(value) -> datetime:
    """A timestamp (datetime, date or ISO-8601 text) as a naive UTC datetime, the way DuckDB TIMESTAMP
    columns hold instants; naive input is UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise ValueError(f"expected a timestamp, got {value!r}")


def format_as_of(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
