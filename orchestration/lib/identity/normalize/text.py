"""What every field normaliser starts from: a raw value as stripped text, and a country as a phone region."""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

WHITESPACE = re.compile(r"\s+")


def stripped_text(raw) -> str | None:
    """Stripped text of a raw value; None for None, NaN/NA and blank text."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        try:
            if pd.isna(raw):
                return None
        except (TypeError, ValueError):
            pass
        raw = str(raw)
    return raw.strip() or None


@lru_cache(maxsize=1024)
def alpha2_region(country) -> str | None:
    """The phone region of an alpha-2 country code (any case), else None."""
    text = stripped_text(country)
    return text.upper() if text and len(text) == 2 and text.isalpha() else None
