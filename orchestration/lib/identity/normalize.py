"""Normalise and validate CRM contact fields (DATA_CONTRACT.md §2) for identity resolution.

Pure Python (email-validator, phonenumbers, pycountry, pandas; no dagster). Each ``normalize_*``
function takes one raw value and says what it becomes and, when it is rejected, why;
``normalize_contacts`` applies them all to a ``staging.stg_crm__contacts`` frame. A rejected phone,
gender, country or birth date is missing in its column, a rejected email keeps its text (its
``email_status`` says why); the contact row itself is always kept. Nothing goes to the network
(no DNS lookups, ever).

What happens to your data
-------------------------

===========  =================================================================  ====================
field        rule                                                               rejection reasons
===========  =================================================================  ====================
email        trimmed, lower-cased; syntax checked by email-validator (no DNS).  ``malformed_email``
             A syntactically valid address gets email-validator's normalised  ``disposable_email``
             form (an IDN domain in Unicode), its domain and a hash, also when  ``role_email``
             disposable (domain or a parent domain in disposable-email-domains)
             or a role address (local part, before ``+tag``, in
             ``ROLE_LOCAL_PARTS``); a malformed one keeps its text, no domain,
             no hash
phone        E.164 via phonenumbers, the contact's country as default region    ``unparsable_phone``
             (no country: only international formats parse); a leading ``00``  ``invalid_phone``
             means ``+``; ``(+49)``, ``(0)``, spaces, dots, dashes, slashes     ``placeholder_phone``
             are formatting; an extension (``ext. 12``) is dropped. Placeholder:
             one repeated digit, or a run of 6+ consecutive digits
             (``123456789``, ``0123456789``, ``987654``), after the country
             code / leading zeros
first/last   trimmed, inner whitespace collapsed; ALL-CAPS or all-lower text    --
name, city   becomes title case per word part (``JEAN-PIERRE`` -> ``Jean-
             Pierre``, ``o'neil`` -> ``O'Neil``); mixed case (``McDonald``,
             ``de Jong``) and accents are kept as given
``*_folded`` the matching form: case-folded; accents removed (NFKD) and ß->ss,  --
             ø->o, æ->ae, œ->oe, ł->l, đ/ð->d, þ->th; then the German
             transliterations ``ae``/``oe``/``ue`` -> ``a``/``o``/``u`` (so
             Müller = Mueller = Muller; this also folds e.g. Manuel -> manul,
             consistently, which is all matching needs); any other punctuation
             (hyphen, apostrophe, dot, slash) -> space; whitespace collapsed
gender       ``female``/``male``/``other`` from the usual spellings and titles  ``unrecognized_gender``
             in EN/DE/FR/ES/IT/NL (``F``, ``w``, ``weiblich``, ``Mme``, ``M``,
             ``mann``, ``homme``, ``d``, ``divers``, ``x``, ``non-binary``...),
             case, whitespace, dots and hyphens ignored; "no answer" markers
             (``unknown``, ``n/a``, ``-``, ``keine Angabe``...) count as empty
country      ISO 3166 alpha-2 from alpha-2/alpha-3 codes (any case), English    ``unknown_country``
             names (pycountry) and common local names and aliases
             (``Deutschland``, ``Schweiz``, ``España``, ``UK``, ``England``,
             ``U.S.A.``, ``Holland``...; accents and dots ignored)
postal code  upper-cased, whitespace collapsed; GB and NL in their canonical   --
             one-space form (``SW1A 1AA``, ``1012 AB``); countries whose codes
             have no spaces (DE, FR, US, ...) lose any
birth date   ``YYYY-MM-DD``, ``DD.MM.YYYY`` or ``YYYY/MM/DD``; not a calendar   ``unparsable_date``
             date -> unparsable; after ``as_of``, more than 120 years before    ``impossible_date``
             it, or a placeholder (1900-01-01, 0001-01-01, 0000-00-00,
             1899-12-30/31, 9999-12-31...) -> impossible
===========  =================================================================  ====================

Hashes (``email_hash``, ``phone_hash``) are ``pii.sha256_hex`` of the normalised value, so the
same address typed ``Anna@X.de `` and ``anna@x.de`` hashes the same. Empty input (None, NaN,
blank text) is never a rejection.

Speed: ``normalize_contacts`` works once per distinct value (names, genders, countries and
cities repeat a lot). Plain ASCII addresses are accepted by a conservative regex that only passes
what email-validator would accept unchanged, a few shapes it always rejects (no @, a space...) are
malformed at once, everything else goes to email-validator. Phones made
of digits and formatting skip ``phonenumbers.parse``: the same reading (country code, national
prefix, validity) is done with each region's phonenumbers patterns compiled once; unusual shapes
go to ``phonenumbers.parse``. More than ``PHONE_POOL_MIN`` distinct phones are normalised in
forked worker processes while this process does the rest.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache, partial
from itertools import chain
from typing import Callable, NamedTuple

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pycountry
from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from phonenumbers import NumberParseException, PhoneMetadata

from orchestration.lib.core import sha256_hex

__all__ = [
    "EmailResult", "PhoneResult", "ROLE_LOCAL_PARTS", "NORMALIZED_COLUMNS", "REJECTION_COLUMNS",
    "REJECTION_REASONS", "normalize_email", "normalize_phone", "clean_name", "fold_name",
    "normalize_gender", "normalize_country", "normalize_postal_code", "normalize_birth_date",
    "normalize_contacts",
]

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
PHONE_STATUSES = ("valid", "empty", "unparsable", "invalid", "placeholder")
REJECTION_REASONS = (
    "malformed_email", "disposable_email", "role_email", "unparsable_phone", "invalid_phone",
    "placeholder_phone", "unrecognized_gender", "unknown_country", "unparsable_date", "impossible_date",
)
INPUT_COLUMNS = (
    "contact_id", "email", "first_name", "last_name", "phone_raw", "gender_raw", "birth_date_raw",
    "city", "postal_code", "country_raw", "email_opt_in", "signup_source", "created_at", "updated_at",
    "source_file", "line_no",
)
NORMALIZED_COLUMNS = (
    "contact_id", "email", "email_status", "email_domain", "email_hash", "first_name", "last_name",
    "first_name_folded", "last_name_folded", "phone_e164", "phone_status", "phone_hash", "gender",
    "birth_date", "birth_year", "city", "city_folded", "postal_code", "country", "email_opt_in",
    "signup_source", "created_at", "updated_at", "source_file", "line_no",
)
REJECTION_COLUMNS = ("contact_id", "source_file", "line_no", "field", "raw_value", "reason")
PASSTHROUGH_COLUMNS = ("contact_id", "email_opt_in", "signup_source", "created_at", "updated_at",
                       "source_file", "line_no")

PHONE_POOL_MIN = 50_000  # distinct phone values above which phones go to worker processes
PHONE_POOL_WORKERS = 2
_PHONE_CHUNK = 10_000


class EmailResult(NamedTuple):
    email: str | None  # normalised text (kept when malformed); None when empty
    status: str  # one of EMAIL_STATUSES
    domain: str | None  # when syntactically valid


class PhoneResult(NamedTuple):
    e164: str | None  # only when valid
    status: str  # one of PHONE_STATUSES


def _text(raw) -> str | None:
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


# =========================================================================== email
# Plain ASCII addresses that email-validator accepts and returns unchanged (after lower-casing):
# a dot-atom local part of [a-z0-9_+-], hostname labels of 1-63 characters not starting or ending
# with a hyphen, an alphabetic TLD. Hyphen pairs ("xn--" punycode, "ab--cd"), special-use domains
# and everything else are left to email-validator.
_FAST_LOCAL = re.compile(r"[a-z0-9_+\-]++(?:\.[a-z0-9_+\-]++)*+")
_FAST_DOMAIN = re.compile(r"(?:[a-z0-9\-]{1,63}\.)++[a-z]{2,63}")
_SPECIAL_USE_SUFFIXES = tuple("." + d for d in SPECIAL_USE_DOMAIN_NAMES)
_EMAIL_MAX_LENGTH = 254


@lru_cache(maxsize=65_536)
def _fast_domain_ok(domain: str) -> bool:
    return (_FAST_DOMAIN.fullmatch(domain) is not None and domain[0] != "-" and "-." not in domain
            and "--" not in domain and ".-" not in domain and not ("." + domain).endswith(_SPECIAL_USE_SUFFIXES))


def _fast_email_domain(text: str) -> str | None:
    """The domain of ``text`` when it is a plain address email-validator accepts as is, else None."""
    local, at, domain = text.rpartition("@")
    if not at or len(text) > _EMAIL_MAX_LENGTH or _FAST_LOCAL.fullmatch(local) is None:
        return None
    return domain if _fast_domain_ok(domain) else None


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
    """Trimmed, lower-cased email and its status (see the module table)."""
    text = _text(raw)
    if text is None:
        return EmailResult(None, "empty", None)
    return _classify_email(text.lower())


# =========================================================================== phone
_PHONE_FORMATTING = str.maketrans("", "", " ()./-\u00a0")
_NON_DIGIT = re.compile(r"[^0-9]")
_LEADING_00 = re.compile(r"^00")
_ASCENDING = "0123456789" * 3
_DESCENDING = "9876543210" * 3
_CC_TO_REGION = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
_CC_DIGITS = {str(cc): cc for cc in _CC_TO_REGION}
_E164 = phonenumbers.PhoneNumberFormat.E164


def _phone_key(text: str) -> str | None:
    """``+<digits>`` (international, also for a leading 00) or ``<digits>`` (national) when the
    text is digits and formatting (spaces, ``()./-``) only; else None (letters, extensions...)."""
    compact = text.translate(_PHONE_FORMATTING)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    digits = compact[1:] if compact.startswith("+") else compact
    return compact if digits.isascii() and digits.isdigit() else None


def _country_code_split(digits: str) -> tuple[int, str] | None:
    """(country calling code, rest) the way phonenumbers reads the digits after a ``+``."""
    for i in (1, 2, 3):
        cc = _CC_DIGITS.get(digits[:i])
        if cc is not None:
            return cc, digits[i:]
    return None


def _is_placeholder_phone(key: str) -> bool:
    digits = key[1:] if key.startswith("+") else key
    if not (digits.isascii() and digits.isdigit()):
        digits = _NON_DIGIT.sub("", key)
    if len(digits) < 3:
        return False
    if _degenerate_digits(digits.lstrip("0")):
        return True
    split = _country_code_split(digits) if key.startswith("+") else None
    return split is not None and _degenerate_digits(split[1].lstrip("0"))


def _degenerate_digits(p: str) -> bool:
    """Nothing, one repeated digit, or a run of 6+ consecutive digits."""
    return not p or p.count(p[0]) == len(p) or (len(p) >= 6 and (p in _ASCENDING or p in _DESCENDING))


# ---- the fast path: what phonenumbers.parse + is_valid_number do with a digit string, step by
# step, with each region's patterns compiled once (phonenumbers looks every pattern up again for
# every number: ~75 us per number here, against ~6). Only for regions without a national-prefix
# transform rule; digits parse would read as an IDD, non-geographic country codes and odd lengths
# go to phonenumbers.parse. tests/test_lib_normalize.py checks both paths agree.
_NUMBER_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
                 "voicemail", "fixed_line", "mobile")


class _Region(NamedTuple):
    code: str
    cc: int
    cc_digits: str
    national_prefix: re.Pattern | None  # national_prefix_for_parsing
    idd: re.Pattern | None  # international_prefix
    general: re.Pattern | None  # the general description's national number pattern
    general_lengths: frozenset  # its possible lengths (empty: any)
    lengths: tuple[int, ...]  # the same, sorted
    local_only: frozenset  # its local-only lengths
    types: tuple  # (possible lengths, pattern) of each number type
    leading: re.Pattern | None  # leading_digits, to tell regions sharing a country code apart
    simple: bool  # no transform rule and known lengths: the fast path applies


def _desc(desc) -> tuple | None:
    if desc is None or not desc.national_number_pattern:
        return None
    return frozenset(desc.possible_length), re.compile(desc.national_number_pattern)


def _compile(pattern: str | None) -> re.Pattern | None:
    return re.compile(pattern) if pattern else None


@lru_cache(maxsize=None)
def _region_data(region: str) -> _Region | None:
    meta = PhoneMetadata.metadata_for_region(region, None)
    if meta is None:
        return None
    general = _desc(meta.general_desc)
    lengths = tuple(sorted(meta.general_desc.possible_length)) if meta.general_desc is not None else ()
    local_only = meta.general_desc.possible_length_local_only if meta.general_desc is not None else ()
    return _Region(
        code=region, cc=meta.country_code, cc_digits=str(meta.country_code),
        national_prefix=_compile(meta.national_prefix_for_parsing), idd=_compile(meta.international_prefix),
        general=general[1] if general else None, general_lengths=general[0] if general else frozenset(),
        lengths=lengths, local_only=frozenset(local_only or ()),
        types=tuple(d for d in (_desc(getattr(meta, t)) for t in _NUMBER_TYPES) if d is not None),
        leading=re.compile(meta.leading_digits) if meta.leading_digits is not None else None,
        simple=not meta.national_prefix_transform_rule and bool(lengths),
    )


@lru_cache(maxsize=None)
def _types_pattern(region: str, length: int) -> re.Pattern | None:
    """One alternation of the region's number-type patterns that admit this length."""
    alternatives = [p.pattern for lengths, p in _region_data(region).types if not lengths or length in lengths]
    return re.compile("|".join(f"(?:{a})" for a in alternatives)) if alternatives else None


def _viable(r: _Region, number: str) -> bool:
    """The general pattern matches (no length check), as parse tests it."""
    return r.general is not None and r.general.fullmatch(number) is not None


def _known_type(r: _Region, nsn: str) -> bool:
    """phonenumbers' number type is not UNKNOWN: the general description and some type match."""
    n = len(nsn)
    if (r.general_lengths and n not in r.general_lengths) or not _viable(r, nsn):
        return False
    types = _types_pattern(r.code, n)
    return types is not None and types.fullmatch(nsn) is not None


def _too_long(r: _Region, n: int) -> bool:
    return n not in r.local_only and n > r.lengths[-1]


def _strip_prefix(r: _Region, number: str) -> str:
    """phonenumbers' national prefix stripping: not when it turns a viable number into a non-viable one."""
    if r.national_prefix is None or not number or not (m := r.national_prefix.match(number)):
        return number
    stripped = number[m.end():]
    return number if _viable(r, number) and not _viable(r, stripped) else stripped


def _national_significant(r: _Region, number: str) -> str:
    """parse keeps the stripped number unless its length is too short, local-only or impossible."""
    stripped = _strip_prefix(r, number)
    n = len(stripped)
    if n in r.local_only or n < r.lengths[0]:
        return number
    return stripped if n == r.lengths[0] or n > r.lengths[-1] or n in r.lengths[1:] else number


def _is_valid_nsn(cc: int, nsn: str) -> bool:
    """phonenumbers.is_valid_number for a geographic country code and national significant number."""
    regions = _CC_TO_REGION.get(cc) or ()
    if len(regions) == 1:
        r = _region_data(regions[0])
        return r is not None and r.cc == cc and _known_type(r, nsn)
    for code in regions:  # the first region that claims the number (leading digits or a type) decides
        r = _region_data(code)
        if r is None:
            continue
        if r.leading is not None:
            if r.leading.match(nsn):
                return r.cc == cc and _known_type(r, nsn)
        elif _known_type(r, nsn):
            return r.cc == cc
    return False


def _fast_phone(key: str, region: str | None) -> PhoneResult | None:
    """Valid/invalid verdict for a phone key without phonenumbers.parse; None: ask parse."""
    if not 5 <= len(key) <= 20:
        return None
    if key.startswith("+"):
        split = _country_code_split(key[1:])
        if split is None:
            return None
        number = split[1]
        r = _region_data(phonenumbers.region_code_for_country_code(split[0]))
    else:
        r = _region_data(region) if region else None
        if r is None or not r.simple or (r.idd is not None and r.idd.match(key)):
            return None  # parse would try these digits as an IDD
        number = key
        if key.startswith(r.cc_digits):  # national digits that start with the country code
            potential = _strip_prefix(r, key[len(r.cc_digits):])
            if (not _viable(r, key) and _viable(r, potential)) or _too_long(r, len(key)):
                number = potential
                r = _region_data(phonenumbers.region_code_for_country_code(r.cc))
    if r is None or not r.simple:
        return None
    nsn = _national_significant(r, number)
    if not 2 <= len(nsn) <= 17:
        return None
    return PhoneResult(f"+{r.cc}{nsn}", "valid") if _is_valid_nsn(r.cc, nsn) else PhoneResult(None, "invalid")


def _parse_phone(text: str, region: str | None) -> PhoneResult:
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return PhoneResult(None, "unparsable")
    if not phonenumbers.is_valid_number(number):
        return PhoneResult(None, "invalid")
    return PhoneResult(phonenumbers.format_number(number, _E164), "valid")


@lru_cache(maxsize=1024)
def _region(country) -> str | None:
    """The phone region of an alpha-2 country code (any case), else None."""
    text = _text(country)
    return text.upper() if text and len(text) == 2 and text.isalpha() else None


def normalize_phone(raw, country) -> PhoneResult:
    """E.164 and status of a phone number; ``country`` (ISO alpha-2 or None) is the default region."""
    text = _text(raw)
    if text is None:
        return PhoneResult(None, "empty")
    region = _region(country)
    key = _phone_key(text)
    if _is_placeholder_phone(key or text):
        return PhoneResult(None, "placeholder")
    if key is None:  # letters, extensions...: phonenumbers reads it as typed
        return _parse_phone(_LEADING_00.sub("+", text), region)
    return _fast_phone(key, region) or _parse_phone(key, region)


# =========================================================================== names
_WHITESPACE = re.compile(r"\s+")
_WORD_START = re.compile(r"(^|[\s\-'’‘./(])(\w)")
_FOLD_CHARS = str.maketrans({"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d",
                             "þ": "th", "ı": "i", "ħ": "h"})
_TRANSLIT_DIGRAPH = re.compile(r"([aou])e+")  # ä/ö/ü spelled ae/oe/ue
_PUNCTUATION = re.compile(r"[\W_]+")


def _upper_first(m: re.Match) -> str:
    c = m.group(2).upper()
    return m.group(1) + (c if len(c) == 1 else m.group(2))


def clean_name(raw) -> str | None:
    """Display form of a name or city (see the module table); None when empty."""
    text = _text(raw)
    if text is None:
        return None
    text = _WHITESPACE.sub(" ", text)
    if text.isupper() or text.islower():
        text = _WORD_START.sub(_upper_first, text.lower())
    return text


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD_CHARS))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = _TRANSLIT_DIGRAPH.sub(r"\1", text)
    return " ".join(_PUNCTUATION.sub(" ", text).split())


def fold_name(raw) -> str | None:
    """Matching form of a name or city (see the module table); None when nothing is left."""
    text = _text(raw)
    if text is None:
        return None
    folded = _fold_once(text)
    for _ in range(3):  # a few compatibility characters fold into something that folds again
        again = _fold_once(folded)
        if again == folded:
            break
        folded = again
    return folded or None


# =========================================================================== gender
_GENDER_SPELLINGS = {
    "female": "f, female, w, weiblich, weibl, frau, femme, feminin, féminin, madame, mme, mlle, "
              "mademoiselle, woman, women, girl, mujer, femenino, femenina, señora, senora, sra, donna, "
              "femmina, femminile, signora, sig ra, vrouw, vrouwelijk, v, mevrouw, mevr, mrs, ms, miss, fem",
    "male": "m, male, männlich, maennlich, mannlich, männl, mann, herr, homme, masculin, monsieur, mr, "
            "hombre, masculino, señor, senor, sr, uomo, maschio, maschile, signore, sig, man, men, boy, "
            "mannelijk, heer, dhr, masc",
    "other": "d, divers, diverse, x, other, non binary, nonbinary, nb, enby, genderqueer, agender, "
             "intersex, inter, autre, otro, otra, altro, altra, anders, andere, overig, neutral",
}
_GENDERS = {s: g for g, spellings in _GENDER_SPELLINGS.items() for s in spellings.split(", ")}
# explicit "no answer" markers: as good as empty, not an unrecognised value
_NO_ANSWER = frozenset("u, unknown, unbekannt, inconnu, desconocido, sconosciuto, onbekend, n/a, na, "
                       "none, null, nan, -, ?, keine angabe, k a, prefer not to say, not specified, "
                       "not given, unspecified".split(", "))


def _gender_key(text: str) -> str:
    return " ".join(re.sub(r"[-_.]", " ", text.casefold()).split())


def normalize_gender(raw) -> tuple[str | None, str | None]:
    """(``female``/``male``/``other`` or None, reason) from a free-text gender."""
    text = _text(raw)
    if text is None:
        return None, None
    key = _gender_key(text)
    if key in _NO_ANSWER or not key:
        return None, None
    gender = _GENDERS.get(key)
    return (gender, None) if gender else (None, "unrecognized_gender")


# =========================================================================== country
_COUNTRY_ALIASES_BY_CODE = {
    "DE": "Deutschland, Allemagne, Alemania, Germania, Duitsland, BRD, Bundesrepublik Deutschland, "
          "Federal Republic of Germany",
    "AT": "Österreich, Autriche, Austria, Oostenrijk",
    "CH": "Schweiz, Suisse, Svizzera, Svizra, Suiza, Zwitserland, Swiss, Helvetia, Confoederatio Helvetica",
    "FR": "Frankreich, Francia, Frankrijk, République française",
    "ES": "España, Espagne, Spanien, Spagna, Spanje, Reino de España",
    "IT": "Italia, Italien, Italie, Italië",
    "NL": "Nederland, Holland, Niederlande, Pays-Bas, Países Bajos, Paesi Bassi, Netherlands",
    "BE": "België, Belgique, Belgien, Belgio, Bélgica",
    "LU": "Luxemburg, Lëtzebuerg",
    "GB": "UK, U.K., United Kingdom, Great Britain, Britain, England, Scotland, Wales, Northern Ireland, "
          "Vereinigtes Königreich, Großbritannien, Royaume-Uni, Grande-Bretagne, Reino Unido, "
          "Gran Bretaña, Regno Unito, Gran Bretagna, Verenigd Koninkrijk, Groot-Brittannië, Engeland",
    "US": "USA, U.S.A., US, U.S., United States, United States of America, America, Amerika, "
          "Vereinigte Staaten, États-Unis, Estados Unidos, EEUU, EE.UU., Stati Uniti, Verenigde Staten",
    "IE": "Ireland, Irland, Irlande, Irlanda, Éire, Ierland",
    "PT": "Portugal, Portogallo",
    "PL": "Polska, Polen, Pologne, Polonia",
    "CZ": "Česko, Czechia, Czech Republic, Tschechien, Tschechische Republik",
    "DK": "Danmark, Dänemark, Danemark, Dinamarca",
    "SE": "Sverige, Schweden, Suède, Suecia, Svezia, Zweden",
    "NO": "Norge, Norwegen, Norvège, Noruega, Norvegia, Noorwegen",
    "FI": "Suomi, Finnland, Finlande, Finlandia",
    "GR": "Hellas, Ellada, Griechenland, Grèce, Grecia",
    "TR": "Türkiye, Turkey, Türkei, Turquie, Turquía",
    "RU": "Russia, Russland, Russie, Rusia",
    "KR": "South Korea, Korea",
}


def _country_key(text: str) -> str:
    key = fold_name(text.replace(".", "")) or ""
    return key[4:] if key.startswith("the ") else key


_COUNTRY_ALIASES = {_country_key(alias): code for code, aliases in _COUNTRY_ALIASES_BY_CODE.items()
                    for alias in aliases.split(", ")}


@lru_cache(maxsize=4096)
def _lookup_country(text: str) -> str | None:
    code = _COUNTRY_ALIASES.get(_country_key(text))
    if code is not None:
        return code
    for candidate in dict.fromkeys((text, text.replace(".", ""))):
        try:
            return pycountry.countries.lookup(candidate).alpha_2
        except LookupError:
            continue
    return None


def normalize_country(raw) -> tuple[str | None, str | None]:
    """(ISO 3166 alpha-2 or None, reason) from a code or a country name."""
    text = _text(raw)
    if text is None:
        return None, None
    code = _lookup_country(_WHITESPACE.sub(" ", text))
    return (code, None) if code else (None, "unknown_country")


# =========================================================================== postal code
_POSTAL_WITHOUT_SPACES = frozenset({"DE", "FR", "IT", "ES", "AT", "CH", "US", "BE", "LU", "DK", "NO",
                                    "FI", "PT", "IE", "LI", "MC", "AU", "NZ"})
_NL_POSTAL = re.compile(r"(\d{4})([A-Z]{2})")


def normalize_postal_code(raw, country) -> str | None:
    """Upper-cased postal code with whitespace collapsed (see the module table)."""
    text = _text(raw)
    if text is None:
        return None
    text = " ".join(text.upper().split())
    region = _region(country)
    compact = text.replace(" ", "")
    if region == "GB" and 5 <= len(compact) <= 7:
        return f"{compact[:-3]} {compact[-3:]}"
    if region == "NL" and (m := _NL_POSTAL.fullmatch(compact)):
        return f"{m.group(1)} {m.group(2)}"
    if region in _POSTAL_WITHOUT_SPACES:
        return compact
    return text


# =========================================================================== birth date
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
    text = _text(raw)
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


# =========================================================================== bulk
_EMAIL_REASONS = {"malformed": "malformed_email", "disposable": "disposable_email", "role": "role_email"}
_PHONE_REASONS = {"unparsable": "unparsable_phone", "invalid": "invalid_phone", "placeholder": "placeholder_phone"}
_HASHED_EMAIL = frozenset({"valid", "role", "disposable"})


def _email_row(raw) -> tuple:
    """(email, status, domain, hash, rejection reason)"""
    email, status, domain = normalize_email(raw)
    return email, status, domain, sha256_hex(email) if status in _HASHED_EMAIL else None, _EMAIL_REASONS.get(status)


def _phone_rows(pairs: list[tuple]) -> list[tuple]:
    """(e164, status, hash, rejection reason) of each (raw phone, alpha-2 country) pair."""
    rows = []
    for raw, country in pairs:
        e164, status = normalize_phone(raw, country)
        rows.append((e164, status, sha256_hex(e164) if e164 else None, _PHONE_REASONS.get(status)))
    return rows


def _name_row(raw) -> tuple:
    return clean_name(raw), fold_name(raw)


def _birth_row(raw, as_of: date) -> tuple:
    day, reason = normalize_birth_date(raw, as_of)
    return day, day.year if day else None, reason


class _Distinct:
    """The distinct values of a column, a code per row pointing at its value, one result tuple per
    value: every normaliser runs once per distinct value, not once per row."""

    def __init__(self, codes: np.ndarray, values: list):
        self.codes, self.values, self.results = codes, values, []

    @classmethod
    def of(cls, column: pd.Series, func: Callable) -> _Distinct:
        """Missing values (None, NaN, NA) are one more value, passed to ``func`` as None."""
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        d = cls(np.where(codes < 0, len(uniques), codes), [*uniques, None])
        d.results = [func(v) for v in d.values]
        return d

    @classmethod
    def of_pairs(cls, column: pd.Series, other: _Distinct, field: int) -> _Distinct:
        """Distinct (value, ``other``'s result ``field``) pairs, e.g. (raw phone, alpha-2 country)."""
        a_codes, a_uniques = pd.factorize(column, use_na_sentinel=True)
        b_ids, b_uniques = pd.factorize(np.array([r[field] for r in other.results], dtype=object))
        width = len(b_uniques) + 1
        codes, keys = pd.factorize((a_codes.astype(np.int64) + 1) * width + (b_ids[other.codes] + 1))
        a_values = np.array([None, *a_uniques], dtype=object)[keys // width]
        b_values = np.array([None, *b_uniques], dtype=object)[keys % width]
        return cls(codes, list(zip(a_values.tolist(), b_values.tolist())))

    def series(self, field: int, dtype: str = "str") -> pd.Series:
        values = [r[field] for r in self.results]
        if dtype == "Int64":
            return pd.Series(pd.array(values, dtype="Int64").take(self.codes))
        taken = pa.array(values, type=pa.date32() if dtype == "date" else pa.string()).take(pa.array(self.codes))
        return pd.Series(pd.arrays.ArrowExtensionArray(taken) if dtype == "date" else pd.array(taken, dtype="str"))

    def rows_with(self, field: int) -> np.ndarray:
        """Rows whose result ``field`` is not None."""
        hit = np.array([r[field] is not None for r in self.results], dtype=bool)
        return np.flatnonzero(hit[self.codes]) if len(self.codes) else np.array([], dtype=np.int64)

    def at(self, field: int, rows: np.ndarray) -> np.ndarray:
        return np.array([r[field] for r in self.results], dtype=object)[self.codes[rows]]


_POOL_ITEMS: list = []  # the items of the running _PoolJob; forked workers inherit them


def _pool_chunk(task: tuple[Callable[[list], list], int, int]) -> list:
    func, start, stop = task
    return func(_POOL_ITEMS[start:stop])


class _PoolJob:
    """``func(items)`` in forked worker processes, started now, when there are more than
    ``PHONE_POOL_MIN`` items (the workers read them from the forked memory, only results travel);
    else run in this process by ``result()``."""

    def __init__(self, func: Callable[[list], list], items: list):
        global _POOL_ITEMS
        self.func, self.items, self.pool, self.pending = func, items, None, None
        if (len(items) > PHONE_POOL_MIN and "fork" in mp.get_all_start_methods()
                and not mp.current_process().daemon and (os.cpu_count() or 1) > 1):
            _POOL_ITEMS = items  # until close(): a worker the pool replaces forks again
            try:
                self.pool = mp.get_context("fork").Pool(PHONE_POOL_WORKERS)
            except BaseException:
                _POOL_ITEMS = []
                raise
            tasks = [(func, i, i + _PHONE_CHUNK) for i in range(0, len(items), _PHONE_CHUNK)]
            self.pending = self.pool.map_async(_pool_chunk, tasks)

    def result(self) -> list:
        if self.pool is None:
            return self.func(self.items)
        try:
            return list(chain.from_iterable(self.pending.get()))
        finally:
            self.close()

    def close(self) -> None:
        global _POOL_ITEMS
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None
            _POOL_ITEMS = []


def _rejections(frame: pd.DataFrame, checks: list[tuple[str, str, _Distinct, int]]) -> pd.DataFrame:
    """One row per rejected value; ``checks`` are (field, raw column, distinct values, reason index)."""
    rows, fields, raw, reasons = [], [], [], []
    for order, (_, column, d, i) in enumerate(checks):
        hit = d.rows_with(i)
        rows.append(hit)
        fields.append(np.full(len(hit), order))
        raw.append(frame[column].take(hit).to_numpy(dtype=object, na_value=None))
        reasons.append(d.at(i, hit))
    row, field_no = np.concatenate(rows), np.concatenate(fields)
    order = np.lexsort((field_no, row))
    row = row[order]
    names = np.array([c[0] for c in checks], dtype=object)
    return pd.DataFrame({
        "contact_id": frame["contact_id"].take(row).reset_index(drop=True),
        "source_file": frame["source_file"].take(row).reset_index(drop=True),
        "line_no": frame["line_no"].take(row).reset_index(drop=True),
        "field": pd.Series(names[field_no[order]], dtype="str"),
        "raw_value": pd.Series(np.concatenate(raw)[order], dtype="str"),
        "reason": pd.Series(np.concatenate(reasons)[order], dtype="str"),
    }, columns=list(REJECTION_COLUMNS))


def normalize_contacts(df: pd.DataFrame, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(normalized, rejections) for a ``staging.stg_crm__contacts`` frame.

    ``normalized`` has one row per input row in the same order (index reset) and the columns
    ``NORMALIZED_COLUMNS``: strings as pandas ``str``, ``birth_date`` as Arrow ``date32`` (DuckDB
    DATE), ``birth_year`` as ``Int64``; the pass-through columns keep their dtypes. ``rejections``
    has one row per rejected non-empty value (``REJECTION_COLUMNS``), in row then field order.
    """
    missing = [c for c in INPUT_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"normalize_contacts: missing columns {missing}")
    frame = df.reset_index(drop=True)
    country = _Distinct.of(frame["country_raw"], normalize_country)
    phone = _Distinct.of_pairs(frame["phone_raw"], country, 0)
    job = _PoolJob(_phone_rows, phone.values)  # workers run the phones while this process does the rest
    try:
        email = _Distinct.of(frame["email"], _email_row)
        first = _Distinct.of(frame["first_name"], _name_row)
        last = _Distinct.of(frame["last_name"], _name_row)
        city = _Distinct.of(frame["city"], _name_row)
        gender = _Distinct.of(frame["gender_raw"], normalize_gender)
        birth = _Distinct.of(frame["birth_date_raw"], partial(_birth_row, as_of=as_of))
        postal = _Distinct.of_pairs(frame["postal_code"], country, 0)
        postal.results = [(normalize_postal_code(raw, c),) for raw, c in postal.values]
        phone.results = job.result()
    finally:
        job.close()
    columns = {
        "email": email.series(0), "email_status": email.series(1), "email_domain": email.series(2),
        "email_hash": email.series(3), "first_name": first.series(0), "last_name": last.series(0),
        "first_name_folded": first.series(1), "last_name_folded": last.series(1),
        "phone_e164": phone.series(0), "phone_status": phone.series(1), "phone_hash": phone.series(2),
        "gender": gender.series(0), "birth_date": birth.series(0, "date"), "birth_year": birth.series(1, "Int64"),
        "city": city.series(0), "city_folded": city.series(1), "postal_code": postal.series(0),
        "country": country.series(0),
    }
    columns.update({c: frame[c] for c in PASSTHROUGH_COLUMNS})
    normalized = pd.DataFrame(columns, columns=list(NORMALIZED_COLUMNS))
    rejections = _rejections(frame, [
        ("email", "email", email, 4), ("phone", "phone_raw", phone, 3), ("gender", "gender_raw", gender, 1),
        ("country", "country_raw", country, 1), ("birth_date", "birth_date_raw", birth, 2),
    ])
    return normalized, rejections
