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

One module per field kind: ``email``, ``phone``, ``names`` (names and cities), ``gender``,
``country`` (country and postal code), ``birth_date``; ``contacts`` applies them all to a frame
(once per distinct value, phones in worker processes when there are many) and builds the
validation report. ``text`` holds what they share.

The public API: import these names from here (submodules load on first use).
"""

from orchestration.lib.core.lazy import lazy_exports

_EXPORTS = {
    "clean_name": "names",
    "fold_name": "names",
    "normalize_birth_date": "birth_date",
    "MAX_AGE_YEARS": "birth_date",
    "normalize_contacts": "contacts",
    "rejections_by_reason": "contacts",
    "INPUT_COLUMNS": "contacts",
    "NORMALIZED_COLUMNS": "contacts",
    "REJECTION_COLUMNS": "contacts",
    "REJECTION_REASONS": "contacts",
    "normalize_country": "country",
    "normalize_postal_code": "country",
    "normalize_email": "email",
    "EMAIL_STATUSES": "email",
    "EmailResult": "email",
    "ROLE_LOCAL_PARTS": "email",
    "normalize_gender": "gender",
    "normalize_phone": "phone",
    "PHONE_STATUSES": "phone",
    "PhoneResult": "phone",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
