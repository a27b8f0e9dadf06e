"""Instants as integer milliseconds since the Unix epoch (UTC): days, ISO texts and time-zone offsets."""

from __future__ import annotations

from datetime import date, timedelta

from orchestration.lib.sample_data.geography import TIME_ZONE_STANDARD_OFFSET_MIN

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

_ISO_DATE_OF_DAY: dict[int, str] = {}
_HOURS_MINUTES = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]


def iso_date(day_number: int) -> str:
    """The ISO date ("YYYY-MM-DD") of a day number (days since 1970-01-01)."""
    s = _ISO_DATE_OF_DAY.get(day_number)
    if s is None:
        s = date.fromordinal(EPOCH_ORDINAL + day_number).isoformat()
        _ISO_DATE_OF_DAY[day_number] = s
    return s


def iso_seconds(ms: int) -> str:
    """UTC ISO-8601 with Z, second precision."""
    day_number, rest = divmod(ms, DAY_MS)
    s = rest // 1000
    return f"{iso_date(day_number)}T{_HOURS_MINUTES[s // 60]}:{s % 60:02d}Z"


def weekday(ms: int) -> int:
    """Monday 0 .. Sunday 6 of an instant's UTC day."""
    return date.fromordinal(EPOCH_ORDINAL + ms // DAY_MS).weekday()


def time_zone_transitions(zone: str, years: range) -> tuple[list[int], list[int]]:
    """(instants ms, offset minutes in force from that instant)."""
    std = TIME_ZONE_STANDARD_OFFSET_MIN[zone]
    times, offsets = [-(2**62)], [std]
    if zone == "US_AZ":
        return times, offsets
    for y in years:
        if zone in ("EU", "UK"):
            # last Sunday of March / October, 01:00 UTC
            d1 = date(y, 3, 31)
            d1 -= timedelta(days=(d1.weekday() + 1) % 7)
            d2 = date(y, 10, 31)
            d2 -= timedelta(days=(d2.weekday() + 1) % 7)
            t1 = (d1.toordinal() - EPOCH_ORDINAL) * DAY_MS + HOUR_MS
            t2 = (d2.toordinal() - EPOCH_ORDINAL) * DAY_MS + HOUR_MS
        else:
            # second Sunday of March 02:00 local std, first Sunday of November 02:00 local dst
            d1 = date(y, 3, 1)
            d1 += timedelta(days=(6 - d1.weekday()) % 7 + 7)
            d2 = date(y, 11, 1)
            d2 += timedelta(days=(6 - d2.weekday()) % 7)
            t1 = (d1.toordinal() - EPOCH_ORDINAL) * DAY_MS + 2 * HOUR_MS - std * 60_000
            t2 = (d2.toordinal() - EPOCH_ORDINAL) * DAY_MS + 2 * HOUR_MS - (std + 60) * 60_000
        times += [t1, t2]
        offsets += [std + 60, std]
    return times, offsets
