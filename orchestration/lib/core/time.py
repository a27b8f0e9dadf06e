"""Time: the run's one `as_of` instant, parsed and printed, and timestamps as DuckDB holds them (naive UTC)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from orchestration.lib.core.settings_schema import SettingsError


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
