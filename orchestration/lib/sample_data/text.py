"""Text helpers of the generator: accents, email local parts, URL slugs, prices, uuids, compact JSON."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache

# German umlauts and ß as people type them without the key ("Müller" -> "Mueller")
TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})

# compact JSON, ASCII only (non-ASCII characters escaped): the event lines' encoding
compact_json = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


def strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)).replace("ß", "ss")


@lru_cache(maxsize=None)
def email_local_part(name: str) -> str:
    """A name as it appears in an email address: transliterated, accents stripped, lower case, [a-z0-9] only."""
    s = strip_accents(name.translate(TRANSLITERATION)).lower()
    return re.sub(r"[^a-z0-9]", "", s)


@lru_cache(maxsize=None)
def slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", strip_accents(s).lower()).strip("-")


def format_cents(cents: int) -> str:
    """1999 -> "19.99"."""
    return f"{cents // 100}.{cents % 100:02d}"


def random_uuid(getrandbits) -> str:
    """A uuid-formatted string from 128 random bits of `getrandbits` (a ``random.Random.getrandbits``)."""
    h = "%032x" % getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
