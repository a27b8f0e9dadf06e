"""Keep personal data out of logs and console output: hash where a key is enough, mask where text is shown."""

from __future__ import annotations

import hashlib
import re

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
NON_DIGIT_RE = re.compile(r"\D")
# digit runs of phone shape; dates and times (2026-10-01, 10:00:00) are left alone
PHONE_RE = re.compile(r"(?<![\w.:\-])(?!\d{4}-\d\d-\d\d)\+?\(?\d[\d\s()/.\-]{6,}\d(?![\w.:])")


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def mask_pii(text: str) -> str:
    """Replace emails and phone-like digit runs by a short stable hash, e.g. <email:1f2e3d4c>."""
    text = EMAIL_RE.sub(lambda m: f"<email:{sha256_hex(m.group(0).lower())[:8]}>", text)
    return PHONE_RE.sub(lambda m: f"<phone:{sha256_hex(NON_DIGIT_RE.sub('', m.group(0)))[:8]}>", text)
