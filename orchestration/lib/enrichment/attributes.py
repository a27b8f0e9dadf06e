"""The vocabulary of enriched attributes: their names, provenances and known values.

One place for what the enrichment step writes, the segment language accepts and the gates check. The dbt
models read a mirror, the var `enrichment_vocabulary` of dbt_project/dbt_project.yml (dbt cannot import Python):
tests/enrichment/test_enriched_gate.py and test_providers.py fail when the two differ.
"""

ATTRIBUTES = ("gender", "age_band", "city", "country", "city_type", "city_population", "region",
              "email_domain_type", "company_domain", "company_name", "job_title", "seniority")
# what a person can declare of them (profiles_enriched's `declared` candidates, from enrichment_labels)
DECLARED = ("gender", "age_band", "city", "country")
# best first: a value of an earlier provenance always wins (SEGMENTS.md)
PROVENANCES = ("declared", "third_party", "reference", "inferred")
GENDERS = ("female", "male", "other")
AGE_BANDS = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
CITY_TYPES = ("urban", "suburban", "rural")
EMAIL_DOMAIN_TYPES = ("free", "disposable", "corporate")
KNOWN_VALUES = {"gender": GENDERS, "age_band": AGE_BANDS, "city_type": CITY_TYPES,
                "email_domain_type": EMAIL_DOMAIN_TYPES}
