"""Blocking key functions: `soundex(surname)`, `prefix3(fold(given_name))`, `suffix4(digits(phone))`, ...

Each maps one text value to a key (or None: no key, the record is in no block of that rule).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

AFFIX_RE = re.compile(r"^(prefix|suffix)(\d+)$")   # prefixN / suffixN: the first / last N characters
PHONETIC_FUNCTIONS = ("soundex", "metaphone", "nysiis")
_DIGITS_RE = re.compile(r"\D+")
_YEAR_RE = re.compile(r"(\d{4})")


def _phonetic(name: str) -> Callable[[str], str | None]:
    import jellyfish

    algorithm = getattr(jellyfish, name)

    def apply(value: str) -> str | None:
        letters = "".join(ch for ch in value.lower() if ch.isalpha())   # soundex(fold(x)) folds accents first
        return algorithm(letters) if letters else None
    return apply


def _fold(value: str) -> str:
    from orchestration.lib.identity.normalize import fold_name

    return fold_name(value) or ""


def _year(value: str) -> str | None:
    m = _YEAR_RE.search(value)
    return m.group(1) if m else None


_TEXT_FUNCTIONS: dict[str, Callable[[str], str | None]] = {
    "lower": lambda v: v.strip().lower() or None,
    "fold": lambda v: _fold(v) or None,
    "digits": lambda v: _DIGITS_RE.sub("", v) or None,
    "year": _year,
    "local_part": lambda v: v.strip().lower().partition("@")[0] or None if "@" in v else None,
    "domain": lambda v: v.strip().lower().rpartition("@")[2] or None if "@" in v else None,
}
KEY_FUNCTIONS = PHONETIC_FUNCTIONS + tuple(_TEXT_FUNCTIONS)   # besides prefixN and suffixN


@lru_cache(maxsize=None)
def key_function(name: str) -> Callable[[str], str | None]:
    """The function a key part names (validated by match_config.parse_key_part)."""
    m = AFFIX_RE.match(name)
    if m:
        n = int(m.group(2))
        if m.group(1) == "prefix":
            return lambda v: v[:n] if len(v) >= n else None
        return lambda v: v[-n:] if len(v) >= n else None
    if name in _TEXT_FUNCTIONS:
        return _TEXT_FUNCTIONS[name]
    if name in PHONETIC_FUNCTIONS:
        return _phonetic(name)
    raise KeyError(name)
