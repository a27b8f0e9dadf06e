"""The offline reference provider on known cities, domains and names (real GeoNames / domain lists / gender-guesser)."""

import pandas as pd
import pytest

from orchestration.lib.enrichment import reference as ref


def enrich(rows: list[dict], declared=None):
    frame = pd.DataFrame([{"person_id": f"p{i}", "email": None, "first_name": None, "city": None, "country": None,
                           **r} for i, r in enumerate(rows)])
    attributes, report = ref.reference_attributes(frame, declared_gender=declared)
    return attributes, report


def value(attributes: pd.DataFrame, person: str, attribute: str):
    hit = attributes[(attributes.person_id == person) & (attributes.attribute == attribute)]
    assert len(hit) <= 1
    return (hit.iloc[0]["value"], hit.iloc[0]["confidence"]) if len(hit) else None


@pytest.mark.parametrize("city, country, city_type, min_population", [
    ("Berlin", "DE", "urban", 3_000_000),
    ("München", "DE", "urban", 1_000_000),
    ("Muenchen", "DE", "urban", 1_000_000),     # the transliterated spelling
    ("MÜNCHEN", "DE", "urban", 1_000_000),
    ("Munich", "DE", "urban", 1_000_000),       # GeoNames' English name
    ("Köln", "DE", "urban", 900_000),
    ("Wien", "AT", "urban", 1_000_000),
    ("Den Haag", "NL", "urban", 400_000),
    ("Ronda", "ES", "suburban", 10_000),        # a town of ~35k
    ("Keswick", "GB", "rural", 1_000),
    ("Vernazza", "IT", "rural", 500),
])
def test_known_cities_get_population_and_class(city, country, city_type, min_population):
    attributes, _ = enrich([{"city": city, "country": country}])
    got, confidence = value(attributes, "p0", "city_type")
    assert got == city_type and 0 < confidence <= 0.95
    population, _ = value(attributes, "p0", "city_population")
    assert int(population) >= min_population
    assert (int(population) >= ref.URBAN_MIN_POPULATION) == (city_type == "urban")


def test_a_city_of_another_country_or_unlisted_gets_nothing():
    attributes, report = enrich([{"city": "Berlin", "country": "IT"}, {"city": "Castle Combe", "country": "GB"},
                                 {"city": "Bxrlin", "country": "DE"}, {"city": "Berlin", "country": None}])
    assert attributes[attributes.attribute.isin(["city_type", "city_population"])].empty
    assert report.unmatched["city_not_listed"] == 3   # the fourth has no country to look in


def test_ambiguous_city_names_lower_the_confidence():
    attributes, _ = enrich([{"city": "Frankfurt", "country": "DE"}, {"city": "Jackson", "country": "US"},
                            {"city": "New York", "country": "US"}])
    frankfurt, jackson, new_york = (value(attributes, p, "city_type") for p in ("p0", "p1", "p2"))
    assert frankfurt[0] == "urban" and 0.6 < frankfurt[1] < 0.95       # am Main (650k) or Oder (57k)
    assert jackson[1] < frankfurt[1]                                     # many Jacksons of every size
    assert new_york[0] == "urban" and new_york[1] > 0.9


@pytest.mark.parametrize("email, kind, company", [
    ("anna@gmail.com", "free", None),
    ("Hans.Mueller@WEB.DE", "free", None),
    ("x@gmx.de", "free", None),
    ("x@orange.fr", "free", None),
    ("temp@mailinator.com", "disposable", None),
    ("buyer@acme-gmbh.de", "corporate", "acme-gmbh.de"),
])
def test_email_domains(email, kind, company):
    attributes, _ = enrich([{"email": email}])
    got, confidence = value(attributes, "p0", "email_domain_type")
    assert got == kind
    assert confidence == (ref.CORPORATE_DOMAIN_CONFIDENCE if kind == "corporate" else 1.0)
    assert (value(attributes, "p0", "company_domain") or (None,))[0] == company


def test_no_or_broken_email_gets_no_domain_type():
    attributes, _ = enrich([{"email": None}, {"email": "not an address"}])
    assert attributes[attributes.attribute == "email_domain_type"].empty


@pytest.mark.parametrize("first_name, country, gender, confidence", [
    ("Anna", "DE", "female", 0.95),
    ("Hans", "DE", "male", 0.95),
    ("Andrea", "IT", "male", 0.95),         # the country's usage
    ("Andrea", "DE", "female", 0.95),
    ("Marie-Claire", "FR", "female", 0.75),  # a compound name by its first part (Marie: mostly female in FR)
    ("Kim", "US", "female", 0.75),           # mostly_female
])
def test_first_names_to_gender(first_name, country, gender, confidence):
    attributes, _ = enrich([{"first_name": first_name, "country": country}])
    assert value(attributes, "p0", "gender") == (gender, confidence)


def test_unknown_and_androgynous_names_get_no_gender():
    attributes, _ = enrich([{"first_name": "Zzyzx"}, {"first_name": "Kim", "country": "DE"}, {"first_name": ""}])
    assert attributes[attributes.attribute == "gender"].empty


def test_region_from_country_and_report():
    attributes, report = enrich([{"country": "DE"}, {"country": "US"}, {"country": "JP"}, {"country": "ZZ"}],
                                declared=pd.Series([None, None, None, None]))
    assert [value(attributes, f"p{i}", "region")[0] for i in range(3)] == ["Europe", "North America", "Asia"]
    assert value(attributes, "p3", "region") is None and report.unmatched["country_without_region"] == 1
    assert report.profiles == 4 and report.values["region"] == 3


def test_agreement_with_declared_gender_is_measured_not_applied():
    attributes, report = enrich([{"first_name": "Anna"}, {"first_name": "Hans"}, {"first_name": "Peter"}],
                                declared=pd.Series(["female", "female", None]))
    assert report.gender_compared == 2 and report.gender_agreement_with_declared == 0.5
    assert value(attributes, "p1", "gender")[0] == "male"   # the guess is kept; profiles_enriched ranks declared first


def test_missing_input_columns_are_named():
    with pytest.raises(ValueError, match="first_name"):
        ref.reference_attributes(pd.DataFrame({"person_id": ["a"], "email": [None], "city": [None],
                                               "country": [None]}))


def test_city_key_folds_case_accents_and_digraphs():
    keys = ref.city_key(pd.Series(["München", "MUENCHEN", "Muenchen", "Düsseldorf", "Saint-Étienne", "  ", None,
                                   "Straße"]))
    assert keys.tolist()[:5] == ["munchen", "munchen", "munchen", "dusseldorf", "saint etienne"]
    assert pd.isna(keys[5]) and pd.isna(keys[6]) and keys[7] == "strasse"
