"""Gender: ``female`` / ``male`` / ``other`` from the usual spellings and titles in EN/DE/FR/ES/IT/NL."""

from __future__ import annotations

import re

from orchestration.lib.identity.normalize.text import stripped_text

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
    text = stripped_text(raw)
    if text is None:
        return None, None
    key = _gender_key(text)
    if key in _NO_ANSWER or not key:
        return None, None
    gender = _GENDERS.get(key)
    return (gender, None) if gender else (None, "unrecognized_gender")
