"""Birth dates: ``YYYY-MM-DD``, ``DD.MM.YYYY`` or ``YYYY/MM/DD``; impossible and placeholder dates rejected."""

from __future__ import annotations

import re
from datetime import date, datetime

from orchestration.lib.identity.normalize.text import stripped_text

_DATE_SHAPES = (
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), (0, 1, 2)),
    (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})"), (2, 1, 0)),
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), (0, 1, 2)),
)
_PLACEHOLDER_DATES = frozenset({date(1, 1, 1), date(1800, 1, 1), date(1899, 12, 30), date(1899, 12, 31),
                                date(1900, 1, 1), date(9999, 12, 31)})
_ZERO_DATE = re.compile(r"0+(?P<sep>[-./])0+(?P=sep)0+")  # 0000-00-00, 00.00.0000: a placeholder, not a typo
MAX_AGE_YEARS = 120


def _parse_date(text: str) -> date | None:
    """The calendar date ``text`` spells in one of the accepted shapes, else None."""
    for pattern, (y, m, d) in _DATE_SHAPES:
        if match := pattern.fullmatch(text):
            parts = [int(g) for g in match.groups()]
            try:
                return date(parts[y], parts[m], parts[d])
            except ValueError:
                return None
    return None


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def normalize_birth_date(raw, as_of: date) -> tuple[date | None, str | None]:
    """(birth date or None, reason); ``as_of`` is the run's date (a datetime counts by its date)."""
    text = stripped_text(raw)
    if text is None:
        return None, None
    if _ZERO_DATE.fullmatch(text):
        return None, "impossible_date"
    parsed = _parse_date(text)
    if parsed is None:
        return None, "unparsable_date"
    as_of = as_of.date() if isinstance(as_of, datetime) else as_of
    if parsed in _PLACEHOLDER_DATES or parsed > as_of or parsed < _years_before(as_of, MAX_AGE_YEARS):
        return None, "impossible_date"
    return parsed, None
