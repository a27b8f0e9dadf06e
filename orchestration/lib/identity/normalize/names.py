"""First and last names and cities: a display form (``clean_name``) and a matching form (``fold_name``)."""

from __future__ import annotations

import re
import unicodedata

from orchestration.lib.identity.normalize.text import WHITESPACE, stripped_text

_WORD_START = re.compile(r"(^|[\s\-'’‘./(])(\w)")
_FOLD_CHARS = str.maketrans({"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d",
                             "þ": "th", "ı": "i", "ħ": "h"})
_TRANSLIT_DIGRAPH = re.compile(r"([aou])e+")  # ä/ö/ü spelled ae/oe/ue
_PUNCTUATION = re.compile(r"[\W_]+")


def _upper_first(m: re.Match) -> str:
    c = m.group(2).upper()
    return m.group(1) + (c if len(c) == 1 else m.group(2))


def clean_name(raw) -> str | None:
    """Display form of a name or city (see the table in ``normalize/__init__.py``); None when empty."""
    text = stripped_text(raw)
    if text is None:
        return None
    text = WHITESPACE.sub(" ", text)
    if text.isupper() or text.islower():
        text = _WORD_START.sub(_upper_first, text.lower())
    return text


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD_CHARS))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = _TRANSLIT_DIGRAPH.sub(r"\1", text)
    return " ".join(_PUNCTUATION.sub(" ", text).split())


def fold_name(raw) -> str | None:
    """Matching form of a name or city (see the table in ``normalize/__init__.py``); None when nothing is left."""
    text = stripped_text(raw)
    if text is None:
        return None
    folded = _fold_once(text)
    for _ in range(3):  # a few compatibility characters fold into something that folds again
        again = _fold_once(folded)
        if again == folded:
            break
        folded = again
    return folded or None
