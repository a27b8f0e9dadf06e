"""Countries (ISO 3166 alpha-2 from codes, English names and local names and aliases) and postal
codes, whose canonical form depends on the country."""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry

from orchestration.lib.identity.normalize.names import fold_name
from orchestration.lib.identity.normalize.text import WHITESPACE, alpha2_region, stripped_text

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
    text = stripped_text(raw)
    if text is None:
        return None, None
    code = _lookup_country(WHITESPACE.sub(" ", text))
    return (code, None) if code else (None, "unknown_country")


# ---- postal codes
_POSTAL_WITHOUT_SPACES = frozenset({"DE", "FR", "IT", "ES", "AT", "CH", "US", "BE", "LU", "DK", "NO",
                                    "FI", "PT", "IE", "LI", "MC", "AU", "NZ"})
_NL_POSTAL = re.compile(r"(\d{4})([A-Z]{2})")


def normalize_postal_code(raw, country) -> str | None:
    """Upper-cased postal code with whitespace collapsed (see the table in ``normalize/__init__.py``)."""
    text = stripped_text(raw)
    if text is None:
        return None
    text = " ".join(text.upper().split())
    region = alpha2_region(country)
    compact = text.replace(" ", "")
    if region == "GB" and 5 <= len(compact) <= 7:
        return f"{compact[:-3]} {compact[-3:]}"
    if region == "NL" and (m := _NL_POSTAL.fullmatch(compact)):
        return f"{m.group(1)} {m.group(2)}"
    if region in _POSTAL_WITHOUT_SPACES:
        return compact
    return text
