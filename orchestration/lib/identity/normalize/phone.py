"""Phone numbers: E.164 via phonenumbers, the contact's country as the default region.

Speed: phones made of digits and formatting skip ``phonenumbers.parse``: the same reading
(country code, national prefix, validity) is done with each region's phonenumbers patterns
compiled once; unusual shapes go to ``phonenumbers.parse``. tests/identity/test_normalize.py
checks both paths agree.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata

from orchestration.lib.identity.normalize.text import alpha2_region, stripped_text

PHONE_STATUSES = ("valid", "empty", "unparsable", "invalid", "placeholder")


class PhoneResult(NamedTuple):
    e164: str | None  # only when valid
    status: str  # one of PHONE_STATUSES


_PHONE_FORMATTING = str.maketrans("", "", " ()./-\u00a0")
_NON_DIGIT = re.compile(r"[^0-9]")
_LEADING_00 = re.compile(r"^00")
_ASCENDING = "0123456789" * 3
_DESCENDING = "9876543210" * 3
_REGIONS_OF_CALLING_CODE = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
_CALLING_CODE_OF_DIGITS = {str(code): code for code in _REGIONS_OF_CALLING_CODE}
_E164_FORMAT = phonenumbers.PhoneNumberFormat.E164


def _phone_key(text: str) -> str | None:
    """``+<digits>`` (international, also for a leading 00) or ``<digits>`` (national) when the
    text is digits and formatting (spaces, ``()./-``) only; else None (letters, extensions...)."""
    compact = text.translate(_PHONE_FORMATTING)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    digits = compact[1:] if compact.startswith("+") else compact
    return compact if digits.isascii() and digits.isdigit() else None


def _split_calling_code(digits: str) -> tuple[int, str] | None:
    """(country calling code, rest) the way phonenumbers reads the digits after a ``+``."""
    for i in (1, 2, 3):
        code = _CALLING_CODE_OF_DIGITS.get(digits[:i])
        if code is not None:
            return code, digits[i:]
    return None


def _is_placeholder_phone(key: str) -> bool:
    digits = key[1:] if key.startswith("+") else key
    if not (digits.isascii() and digits.isdigit()):
        digits = _NON_DIGIT.sub("", key)
    if len(digits) < 3:
        return False
    if _degenerate_digits(digits.lstrip("0")):
        return True
    split = _split_calling_code(digits) if key.startswith("+") else None
    return split is not None and _degenerate_digits(split[1].lstrip("0"))


def _degenerate_digits(digits: str) -> bool:
    """Nothing, one repeated digit, or a run of 6+ consecutive digits."""
    return (not digits or digits.count(digits[0]) == len(digits)
            or (len(digits) >= 6 and (digits in _ASCENDING or digits in _DESCENDING)))


# ---- the fast path: what phonenumbers.parse + is_valid_number do with a digit string, step by
# step, with each region's patterns compiled once (phonenumbers looks every pattern up again for
# every number: ~75 us per number here, against ~6). Only for regions without a national-prefix
# transform rule; digits parse would read as an IDD, non-geographic country codes and odd lengths
# go to phonenumbers.parse.
_NUMBER_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
                 "voicemail", "fixed_line", "mobile")


class _RegionRules(NamedTuple):
    code: str
    calling_code: int
    calling_code_digits: str
    national_prefix: re.Pattern | None  # national_prefix_for_parsing
    international_prefix: re.Pattern | None  # the IDD
    general_pattern: re.Pattern | None  # the general description's national number pattern
    general_lengths: frozenset  # its possible lengths (empty: any)
    lengths: tuple[int, ...]  # the same, sorted
    local_only_lengths: frozenset  # its local-only lengths
    type_patterns: tuple  # (possible lengths, pattern) of each number type
    leading_digits: re.Pattern | None  # to tell regions sharing a country code apart
    fast_path_applies: bool  # no transform rule and known lengths


def _lengths_and_pattern(desc) -> tuple | None:
    if desc is None or not desc.national_number_pattern:
        return None
    return frozenset(desc.possible_length), re.compile(desc.national_number_pattern)


def _compile_optional(pattern: str | None) -> re.Pattern | None:
    return re.compile(pattern) if pattern else None


@lru_cache(maxsize=None)
def _region_rules(region: str) -> _RegionRules | None:
    meta = PhoneMetadata.metadata_for_region(region, None)
    if meta is None:
        return None
    general = _lengths_and_pattern(meta.general_desc)
    lengths = tuple(sorted(meta.general_desc.possible_length)) if meta.general_desc is not None else ()
    local_only = meta.general_desc.possible_length_local_only if meta.general_desc is not None else ()
    return _RegionRules(
        code=region, calling_code=meta.country_code, calling_code_digits=str(meta.country_code),
        national_prefix=_compile_optional(meta.national_prefix_for_parsing),
        international_prefix=_compile_optional(meta.international_prefix),
        general_pattern=general[1] if general else None, general_lengths=general[0] if general else frozenset(),
        lengths=lengths, local_only_lengths=frozenset(local_only or ()),
        type_patterns=tuple(d for d in (_lengths_and_pattern(getattr(meta, t)) for t in _NUMBER_TYPES)
                            if d is not None),
        leading_digits=re.compile(meta.leading_digits) if meta.leading_digits is not None else None,
        fast_path_applies=not meta.national_prefix_transform_rule and bool(lengths),
    )


@lru_cache(maxsize=None)
def _types_pattern(region: str, length: int) -> re.Pattern | None:
    """One alternation of the region's number-type patterns that admit this length."""
    alternatives = [p.pattern for lengths, p in _region_rules(region).type_patterns
                    if not lengths or length in lengths]
    return re.compile("|".join(f"(?:{a})" for a in alternatives)) if alternatives else None


def _viable(rules: _RegionRules, number: str) -> bool:
    """The general pattern matches (no length check), as parse tests it."""
    return rules.general_pattern is not None and rules.general_pattern.fullmatch(number) is not None


def _known_type(rules: _RegionRules, national_number: str) -> bool:
    """phonenumbers' number type is not UNKNOWN: the general description and some type match."""
    n = len(national_number)
    if (rules.general_lengths and n not in rules.general_lengths) or not _viable(rules, national_number):
        return False
    types = _types_pattern(rules.code, n)
    return types is not None and types.fullmatch(national_number) is not None


def _too_long(rules: _RegionRules, n: int) -> bool:
    return n not in rules.local_only_lengths and n > rules.lengths[-1]


def _strip_national_prefix(rules: _RegionRules, number: str) -> str:
    """phonenumbers' national prefix stripping: not when it turns a viable number into a non-viable one."""
    if rules.national_prefix is None or not number or not (m := rules.national_prefix.match(number)):
        return number
    stripped = number[m.end():]
    return number if _viable(rules, number) and not _viable(rules, stripped) else stripped


def _national_significant_number(rules: _RegionRules, number: str) -> str:
    """parse keeps the stripped number unless its length is too short, local-only or impossible."""
    stripped = _strip_national_prefix(rules, number)
    n = len(stripped)
    if n in rules.local_only_lengths or n < rules.lengths[0]:
        return number
    return stripped if n == rules.lengths[0] or n > rules.lengths[-1] or n in rules.lengths[1:] else number


def _is_valid_national_number(calling_code: int, national_number: str) -> bool:
    """phonenumbers.is_valid_number for a geographic country code and national significant number."""
    regions = _REGIONS_OF_CALLING_CODE.get(calling_code) or ()
    if len(regions) == 1:
        rules = _region_rules(regions[0])
        return rules is not None and rules.calling_code == calling_code and _known_type(rules, national_number)
    for code in regions:  # the first region that claims the number (leading digits or a type) decides
        rules = _region_rules(code)
        if rules is None:
            continue
        if rules.leading_digits is not None:
            if rules.leading_digits.match(national_number):
                return rules.calling_code == calling_code and _known_type(rules, national_number)
        elif _known_type(rules, national_number):
            return rules.calling_code == calling_code
    return False


def _fast_phone(key: str, region: str | None) -> PhoneResult | None:
    """Valid/invalid verdict for a phone key without phonenumbers.parse; None: ask parse."""
    if not 5 <= len(key) <= 20:
        return None
    if key.startswith("+"):
        split = _split_calling_code(key[1:])
        if split is None:
            return None
        number = split[1]
        rules = _region_rules(phonenumbers.region_code_for_country_code(split[0]))
    else:
        rules = _region_rules(region) if region else None
        if rules is None or not rules.fast_path_applies or (
                rules.international_prefix is not None and rules.international_prefix.match(key)):
            return None  # parse would try these digits as an IDD
        number = key
        if key.startswith(rules.calling_code_digits):  # national digits that start with the country code
            potential = _strip_national_prefix(rules, key[len(rules.calling_code_digits):])
            if (not _viable(rules, key) and _viable(rules, potential)) or _too_long(rules, len(key)):
                number = potential
                rules = _region_rules(phonenumbers.region_code_for_country_code(rules.calling_code))
    if rules is None or not rules.fast_path_applies:
        return None
    national_number = _national_significant_number(rules, number)
    if not 2 <= len(national_number) <= 17:
        return None
    if _is_valid_national_number(rules.calling_code, national_number):
        return PhoneResult(f"+{rules.calling_code}{national_number}", "valid")
    return PhoneResult(None, "invalid")


def _parse_phone(text: str, region: str | None) -> PhoneResult:
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return PhoneResult(None, "unparsable")
    if not phonenumbers.is_valid_number(number):
        return PhoneResult(None, "invalid")
    return PhoneResult(phonenumbers.format_number(number, _E164_FORMAT), "valid")


def normalize_phone(raw, country) -> PhoneResult:
    """E.164 and status of a phone number; ``country`` (ISO alpha-2 or None) is the default region."""
    text = stripped_text(raw)
    if text is None:
        return PhoneResult(None, "empty")
    region = alpha2_region(country)
    key = _phone_key(text)
    if _is_placeholder_phone(key or text):
        return PhoneResult(None, "placeholder")
    if key is None:  # letters, extensions...: phonenumbers reads it as typed
        return _parse_phone(_LEADING_00.sub("+", text), region)
    return _fast_phone(key, region) or _parse_phone(key, region)
