"""Provider-independent enrichment logic: vendor values checked before they are written, coverage drops."""

from datetime import datetime

import duckdb
import pandas as pd
import pytest
import yaml

from orchestration.constants import DBT_PROJECT_DIR
from orchestration.lib.enrichment import attributes as vocabulary
from orchestration.lib.enrichment import providers as enrichment
from orchestration.lib.enrichment.http import LookupOutcome
from orchestration.lib.segments.dsl import DEFAULT_SCHEMA


def test_attribute_list_in_step_with_dbt_macro_and_segment_schema():
    # the dbt models read the vocabulary from dbt_project.yml (macros/enrichment.sql: enriched_attributes())
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    assert tuple(project["vars"]["enrichment_vocabulary"]["attributes"]) == enrichment.ATTRIBUTES
    for name in enrichment.ATTRIBUTES:
        assert DEFAULT_SCHEMA.attributes[name].has_provenance and DEFAULT_SCHEMA.attributes[name].has_confidence
    assert DEFAULT_SCHEMA.attribute_values["age_band"] == vocabulary.AGE_BANDS


@pytest.mark.parametrize("attribute, raw, expected", [
    ("gender", "F", "female"), ("gender", "Male", "male"), ("gender", "banana", None), ("gender", "", None),
    ("country", "Germany", "DE"), ("country", "de", "DE"), ("country", "Atlantis", None),
    ("age_band", "25-34", "25-34"), ("age_band", "young", None),
    ("city_population", "12000", "12000"), ("city_population", "12k", None),
    ("city_type", "urban", "urban"), ("city_type", "metropolis", None),
    ("company_name", "  Acme GmbH ", "Acme GmbH"), ("company_name", "x" * 201, None),
    ("shoe_size", "42", None),                     # not one of our attributes
    ("job_title", None, None),
])
def test_vendor_values_are_checked(attribute, raw, expected):
    assert enrichment.checked_value(attribute, raw) == expected


def test_answers_to_attributes_writes_only_found_and_valid_values():
    fetched = datetime(2026, 10, 30, 12, 0)
    outcomes = {
        "k1": LookupOutcome("k1", "found", {"gender": "F", "company_name": "Acme", "age_band": "old"}, 0.8),
        "k2": LookupOutcome("k2", "unknown"),
        "k3": LookupOutcome("k3", "failed", reason="http_503"),
    }
    frame, invalid = enrichment.answers_to_attributes(["a", "b", "c", "d"], ["k1", "k2", "k3", "k4"], outcomes,
                                                      {"k1": fetched}, source="http://vendor")
    assert frame[["person_id", "attribute", "value", "confidence"]].values.tolist() == [
        ["a", "company_name", "Acme", 0.8], ["a", "gender", "female", 0.8]]
    assert set(frame["source"]) == {"http://vendor"} and list(frame["obtained_at"]) == [pd.Timestamp(fetched)] * 2
    assert invalid == {"age_band": 1}


def test_answers_without_any_found_give_an_empty_typed_frame():
    frame, invalid = enrichment.answers_to_attributes(["a"], ["k"], {"k": LookupOutcome("k", "unknown")}, {}, "s")
    assert frame.empty and list(frame.columns) == enrichment.LONG_COLUMNS and invalid == {}


def test_coverage_counts_values_per_provenance():
    con = duckdb.connect()
    con.register("enriched", pd.DataFrame({
        "gender": ["female", "male", None, "female"],
        "gender__provenance": ["declared", "inferred", None, "reference"],
        "city_type": [None, None, None, "urban"], "city_type__provenance": [None, None, None, "reference"]}))
    got = enrichment.coverage(con, "enriched")
    assert got["gender"] == {"coverage": 0.75, "declared": 1, "third_party": 0, "reference": 1, "inferred": 1}
    assert got["city_type"]["coverage"] == 0.25 and "age_band" not in got


def test_coverage_drop_beyond_the_allowed_share_is_flagged():
    previous = {"gender": 0.8, "city_type": 0.5, "company_name": 0.0}
    current = {"gender": 0.7, "city_type": 0.2}
    drops = enrichment.coverage_drops(previous, current, max_drop=0.2)
    assert drops == [{"attribute": "city_type", "previous": 0.5, "current": 0.2, "drop": 0.6}]
    assert enrichment.coverage_drops(previous, current, max_drop=0.7) == []
    assert enrichment.coverage_drops({}, current, max_drop=0.2) == []     # first run: nothing to compare
