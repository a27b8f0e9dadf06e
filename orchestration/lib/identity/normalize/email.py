"""Email addresses: trimmed, lower-cased, syntax checked by email-validator (never DNS); disposable
and role addresses are told apart from a person's own.

Speed: plain ASCII addresses are accepted by a conservative regex that only passes what
email-validator would accept unchanged, a few shapes it always rejects (no @, a space...) are
malformed at once, everything else goes to email-validator.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from orchestration.lib.identity.normalize.text import stripped_text

# Local parts (before any +tag) of shared mailboxes rather than a person's address.
ROLE_LOCAL_PARTS = frozenset({
    "info", "kontakt", "contact", "contacto", "contatto", "office", "buero", "sales", "verkauf",
    "vertrieb", "ventas", "vendite", "hello", "hallo", "hi", "service", "kundenservice", "servicio",
    "admin", "administrator", "support", "help", "hilfe", "noreply", "no-reply", "no_reply",
    "donotreply", "do-not-reply", "team", "mail", "email", "webmaster", "postmaster", "hostmaster",
    "abuse", "billing", "accounts", "accounting", "buchhaltung", "rechnung", "invoice", "invoices",
    "orders", "bestellung", "shop", "store", "marketing", "newsletter", "press", "presse", "media",
    "jobs", "careers", "karriere", "hr", "personal", "bewerbung", "enquiries", "inquiries", "privacy",
    "datenschutz", "legal", "security", "reception", "empfang", "secretariat", "sekretariat", "all",
    "everyone", "staff",
})

EMAIL_STATUSES = ("valid", "empty", "malformed", "disposable", "role")


class EmailResult(NamedTuple):
    email: str | None  # normalised text (kept when malformed); None when empty
    status: str  # one of EMAIL_STATUSES
    domain: str | None  # when syntactically valid


# Plain ASCII addresses that email-validator accepts and returns unchanged (after lower-casing):
# a dot-atom local part of [a-z0-9_+-], hostname labels of 1-63 characters not starting or ending
# with a hyphen, an alphabetic TLD. Hyphen pairs ("xn--" punycode, "ab--cd"), special-use domains
# and everything else are left to email-validator.
_PLAIN_LOCAL_PART = re.compile(r"[a-z0-9_+\-]++(?:\.[a-z0-9_+\-]++)*+")
_PLAIN_DOMAIN = re.compile(r"(?:[a-z0-9\-]{1,63}\.)++[a-z]{2,63}")
_SPECIAL_USE_SUFFIXES = tuple("." + d for d in SPECIAL_USE_DOMAIN_NAMES)
_EMAIL_MAX_LENGTH = 254


@lru_cache(maxsize=65_536)
def _is_plain_domain(domain: str) -> bool:
    return (_PLAIN_DOMAIN.fullmatch(domain) is not None and domain[0] != "-" and "-." not in domain
            and "--" not in domain and ".-" not in domain and not ("." + domain).endswith(_SPECIAL_USE_SUFFIXES))


def _fast_email_domain(text: str) -> str | None:
    """The domain of ``text`` when it is a plain address email-validator accepts as is, else None."""
    local, at, domain = text.rpartition("@")
    if not at or len(text) > _EMAIL_MAX_LENGTH or _PLAIN_LOCAL_PART.fullmatch(local) is None:
        return None
    return domain if _is_plain_domain(domain) else None


def _certainly_malformed(text: str) -> bool:
    """No @, a space, a final dot or @, or an ASCII domain without a dot: email-validator rejects
    these anyway (it would take ~60 us to say so)."""
    domain = text.rpartition("@")[2]
    return ("@" not in text or " " in text or text.endswith((".", "@"))
            or ("." not in domain and domain.isascii()))


@lru_cache(maxsize=65_536)
def _is_disposable(domain: str) -> bool:
    parts = domain.split(".")
    return any(".".join(parts[i:]) in DISPOSABLE_DOMAINS for i in range(len(parts) - 1))


def _classify_email(text: str) -> EmailResult:
    """``text`` is stripped, lower-cased and not empty."""
    domain = _fast_email_domain(text)
    email = text
    if domain is None:
        if _certainly_malformed(text):
            return EmailResult(text, "malformed", None)
        try:
            checked = validate_email(text, check_deliverability=False)
        except (EmailNotValidError, ValueError):
            return EmailResult(text, "malformed", None)
        email, domain = checked.normalized, checked.domain
    if _is_disposable(domain):
        return EmailResult(email, "disposable", domain)
    if email.rpartition("@")[0].partition("+")[0] in ROLE_LOCAL_PARTS:
        return EmailResult(email, "role", domain)
    return EmailResult(email, "valid", domain)


def normalize_email(raw) -> EmailResult:
    """Trimmed, lower-cased email and its status (see the table in ``normalize/__init__.py``)."""
    text = stripped_text(raw)
    if text is None:
        return EmailResult(None, "empty", None)
    return _classify_email(text.lower())
