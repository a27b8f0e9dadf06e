"""The CRM export's mess: typing slips, accent, case and whitespace variants, broken and misspelt email
addresses, phone numbers in the formats people type, postal codes.

Every function draws from the ``random.Random`` it is given and nothing else, so the output is a fixed
function of the seed.
"""

from __future__ import annotations

import random

from orchestration.lib.sample_data.geography import (
    CALLING_CODES,
    MOBILE_PREFIXES,
    TRUNK_PREFIX_COUNTRIES,
)
from orchestration.lib.sample_data.people import DOMAIN_TYPOS
from orchestration.lib.sample_data.text import TRANSLITERATION, strip_accents


def typo(s: str, rand: random.Random) -> str:
    """One typing slip inside `s` (two letters swapped, one dropped or one doubled); short texts stay."""
    if len(s) < 4:
        return s
    i = rand.randrange(1, len(s) - 2)
    k = rand.random()
    if k < 0.4:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    if k < 0.75:
        return s[:i] + s[i + 1:]
    return s[:i] + s[i] + s[i:]


def accent_variant(s: str, rand: random.Random) -> str:
    """`s` typed without its accents: umlauts transliterated ("ue") or accents stripped."""
    if s.isascii():
        return s
    return s.translate(TRANSLITERATION) if rand.random() < 0.5 else strip_accents(s)


def case_whitespace_variant(s: str, rand: random.Random) -> str:
    """`s` in upper or lower case, padded, or with doubled inner spaces."""
    k = rand.random()
    if k < 0.35:
        return s.upper()
    if k < 0.65:
        return s.lower()
    if k < 0.85:
        return f" {s} " if rand.random() < 0.5 else f"{s}  "
    return s.replace(" ", "  ") if " " in s else f"{s} "


def name_variant(s: str, rand: random.Random, heavy: bool) -> str:
    """A name as a CRM row holds it; `heavy` (a duplicate row): typos, accents, case and blanks are likelier."""
    if not s:
        return s
    k = rand.random()
    if not heavy:
        if k < 0.03:
            return case_whitespace_variant(s, rand)
        if k < 0.04:
            return ""
        return s
    if k < 0.25:
        return typo(s, rand)
    if k < 0.50 and not s.isascii():
        return accent_variant(s, rand)
    if k < 0.65:
        return case_whitespace_variant(s, rand)
    if k < 0.72:
        return ""
    return s


def malformed_email(e: str, rand: random.Random) -> str:
    """An address broken beyond repair ("n/a", no "@", two "@", no TLD, ...)."""
    local, _, dom = e.partition("@")
    return rand.choice((
        f"{local}{dom}", f"{local}@@{dom}", f"{local}@{dom.rsplit('.', 1)[0]}", f"{local}@{dom}.",
        f"{local.replace('.', ' ')}@{dom}" if "." in local else f"{local} @{dom}", "n/a", "-", f"{local}@",
    ))


def typo_email(e: str, rand: random.Random) -> str:
    """The address with a misspelt domain."""
    local, _, dom = e.partition("@")
    if dom in DOMAIN_TYPOS:
        return f"{local}@{rand.choice(DOMAIN_TYPOS[dom])}"
    name, _, tld = dom.rpartition(".")
    return f"{local}@{typo(name, rand) if len(name) >= 4 else name + name[-1]}.{tld}"


def email_case_whitespace_variant(e: str, rand: random.Random) -> str:
    """The address upper-cased, capitalised or padded."""
    local, _, dom = e.partition("@")
    k = rand.random()
    if k < 0.3:
        return e.upper()
    if k < 0.6:
        return ".".join(p.capitalize() for p in local.split(".")) + "@" + dom.capitalize()
    if k < 0.8:
        return f" {e} "
    return f"{e} "


def draw_phone_number(rand: random.Random, country: str, area: str) -> tuple[str, str]:
    """A person's (area or mobile prefix, subscriber number) in `country`, whose landline area is `area`."""
    rnd = rand.random
    mob = MOBILE_PREFIXES[country]
    if mob and rnd() < 0.45:
        area = mob[int(rnd() * len(mob))]
    if country == "US":
        sub = f"5550{100 + int(rnd() * 100)}"
    elif country == "GB" and area == "20":
        sub = f"7946{int(rnd() * 1000):04d}"
    elif country == "GB" and area == "7700":
        sub = f"900{int(rnd() * 1000):03d}"
    else:
        n = max(5, min(8, (10 if country in ("DE", "AT") else 9) - len(area)))
        sub = str(2 + int(rnd() * 8)) + f"{int(rnd() * 10 ** (n - 1)):0{n - 1}d}"
    return area, sub


def format_phone(rand: random.Random, country: str, number: tuple[str, str], heavy: bool) -> str:
    """Format a phone number the way a human typed it into some system."""
    area, sub = number
    cc = CALLING_CODES[country]
    if country == "US":
        a, x3, x4 = area, sub[:3], sub[3:]
        styles = (f"+1 {a} {x3} {x4}", f"({a}) {x3}-{x4}", f"{a}-{x3}-{x4}", f"{a}{x3}{x4}",
                  f"+1-{a}-{x3}-{x4}", f"1-{a}-{x3}-{x4}", f"+1{a}{x3}{x4}")
    elif country in ("ES", "IT"):
        digits = (area + sub)[:10 if country == "IT" else 9]
        g3 = " ".join(digits[i:i + 3] for i in range(0, len(digits), 3))
        styles = (f"+{cc} {g3}", f"+{cc}{digits}", f"00{cc}{digits}", digits, g3, g3.replace(" ", "-"),
                  f"(+{cc}) {digits}")
    elif country == "FR":
        digits = (area + sub)[:9]
        pairs = " ".join(digits[i:i + 2] for i in range(1, len(digits), 2))
        styles = (f"+33 {digits[0]} {pairs}", f"0{digits[0]} {pairs}", f"0{digits}", f"0033{digits}",
                  f"0{digits[0]}.{pairs.replace(' ', '.')}", f"+33{digits}")
    else:
        nat0 = "0" if country in TRUNK_PREFIX_COUNTRIES else ""
        styles = (f"+{cc} {area} {sub}", f"{nat0}{area}/{sub}",
                  f"+{cc} ({nat0}){area} {sub}" if nat0 else f"+{cc} {area}{sub}",
                  f"00{cc}{area}{sub}", f"{nat0}{area} {sub}", f"+{cc}{area}{sub}",
                  f"({nat0}){area}-{sub[:3]} {sub[3:]}" if nat0 else f"{area}-{sub}", f"{nat0}{area}-{sub}")
    r = rand.random()
    if not heavy and r < 0.5:
        return styles[0]
    return styles[int(rand.random() * len(styles))]


def postal_code(rand: random.Random, country: str, spec) -> str:
    """A postal code in a city's range (`spec`: geography.City.postal_spec)."""
    if spec[0] == "GB":
        out = rand.choice(spec[1:])
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        return f"{out} {rand.randint(1, 9)}{rand.choice(letters)}{rand.choice(letters)}"
    if spec[0] == "NL":
        letters = "ABCDEGHJKLMNPRSTVWXZ"
        return f"{rand.randint(spec[1], spec[2])} {rand.choice(letters)}{rand.choice(letters)}"
    if spec[0] == "WIEN":
        return f"1{rand.randint(1, 23):02d}0"
    lo, hi = spec
    v = lo + int(rand.random() * (hi - lo + 1))
    width = 4 if country in ("AT", "CH") else 5
    return f"{v:0{width}d}"
