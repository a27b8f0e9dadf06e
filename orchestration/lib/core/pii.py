"""Keep personal data out of logs and console output: hash where a key is enough, mask where text is shown."""

from __future__ import annotations

import hashlib
import re

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
NON_DIGIT_RE = re.compile(r"\D")


def _prefix_of(template: str) -> str:
    """A pattern for any leading part of `template` (`d` = a digit, `T` = `T` or a blank, else itself): a
    timestamp cut off mid-way (`2026-10-0`, `2026-10-01T1`) is still one."""
    pattern = ""
    for ch in reversed(template):
        pattern = "(?:" + {"d": r"\d", "T": "[T ]"}.get(ch, re.escape(ch)) + pattern + ")?"
    return pattern


_TAIL = r"(?:[.,]\d*)?(?:Z|[+-](?:\d\d(?::?\d{0,2})|\d)?)?"   # fraction, offset (maybe cut off)
# dates and times, whole or cut off, whose digits would otherwise look like a phone number: ISO-8601 extended
# (2026-10-01T10:00:00.123+02:00, 2026-10-01 10:00, 2026-10-0, 2026/10/01), basic (20261001T1000Z, 20261001:
# a calendar date), and day.month.year or month/day/year with a four-digit year (31.10.2026 18:22, 10/12/2026)
_TIMESTAMP = "|".join((
    *(rf"\d{{4}}{re.escape(sep)}" + _prefix_of(f"dd{sep}ddTdd:dd:dd") + rf"(?:(?<=:\d\d){_TAIL})?" for sep in "-/"),
    r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?=[^\dT]|$)",
    r"\d{8}T" + _prefix_of("dddddd") + rf"(?:(?<=T\d{{4}}){_TAIL}|(?<=T\d{{6}}){_TAIL})?",
    r"(?:0?[1-9]|[12]\d|3[01])(?P<sep>[./])(?:0?[1-9]|[12]\d|3[01])(?P=sep)(?:19|20)\d\d"
    + "(?:[T ]" + _prefix_of("dd:dd:dd") + ")?",
))
# digit runs of phone shape: +49 30 1234567, (030) 123-4567, 0049301234567 (a full stop after one ends a sentence)
_PHONE = r"(?<![\w.:\-])\+?\(?\d[\d\s()/.\-]{6,}\d(?![\w:]|\.\d)"
# one scan, a timestamp tried first at each position: text a timestamp takes is never (part of) a phone number
PHONE_RE = re.compile(rf"(?P<timestamp>(?<![\w.:+\-])(?:{_TIMESTAMP})(?![\d:]|[-./]\d))|(?P<phone>{_PHONE})")


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def email_key(email: str) -> str:
    """SHA-256 hex of the trimmed, lower-cased email: how an address is keyed wherever the address itself must
    not be kept (the enrichment cache and lookups, erasure tombstones, the suppression table)."""
    return sha256_hex(email.strip().lower())


def mask_pii(text: str) -> str:
    """Replace emails and phone-like digit runs by a short stable hash, e.g. <email:1f2e3d4c>."""
    text = EMAIL_RE.sub(lambda m: f"<email:{sha256_hex(m.group(0).lower())[:8]}>", text)
    return PHONE_RE.sub(lambda m: m.group(0) if m.group("timestamp") else
                        f"<phone:{sha256_hex(NON_DIGIT_RE.sub('', m.group(0)))[:8]}>", text)
