"""The profiles_enriched gates on a hand-built warehouse: the blocking GE gate fails on each broken invariant,
and the advisory coverage check warns when coverage falls against the previous run.

The gate reads its frame, the dbt view gates.gate_profiles_enriched: dbt builds it once per module over empty
hand-built tables (a template warehouse), and every test copies the template and fills the tables.
"""

import shutil

import dagster as dg
import duckdb
import pytest
import yaml
from dagster_duckdb import DuckDBResource

from orchestration.checks.gates import (
    ge_profiles_enriched_critical,
    profiles_enriched_coverage,
)
from orchestration.constants import AS_OF_TAG, DBT_PROJECT_DIR, SUITES_DIR
from orchestration.lib.enrichment import ATTRIBUTES, DECLARED, KNOWN_VALUES, PROVENANCES
from orchestration.resources.enrichment import EnrichmentResource
from orchestration.resources.expectations import GreatExpectationsResource
from orchestration.resources.settings import MicrosegResource
from tests.helpers.dbt import run_dbt

pytestmark = pytest.mark.slow          # every test materializes the gate with Dagster
AS_OF = "2026-11-01T00:00:00Z"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A warehouse with empty enrichment tables and the gate's frame, the view dbt builds over them."""
    root = tmp_path_factory.mktemp("enriched_gate")
    path = (root / "template.duckdb").resolve()
    _tables(path, [], [])
    run_dbt(root, path, ["run", "--select", "gate_profiles_enriched"])
    return path


def build(template, path, people: list[dict], labels: list[dict] | None = None) -> None:
    """The template warehouse at `path` (unless it exists: its coverage history stays), its tables replaced:
    enrichment.profiles_enriched (every attribute's 4 columns; unset = NULL) and enrichment_labels."""
    if not path.exists():
        shutil.copy(template, path)
    _tables(path, people, labels)


def _tables(path, people: list[dict], labels: list[dict] | None) -> None:
    cols = ["person_id varchar", "birth_date date", "age integer"]
    for a in ATTRIBUTES:
        cols += [f"{a} {'bigint' if a == 'city_population' else 'varchar'}", f"{a}__provenance varchar",
                 f"{a}__confidence double", f"{a}__obtained_at timestamp"]
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists enrichment")
        con.execute(f"create or replace table enrichment.profiles_enriched ({', '.join(cols)})")
        con.execute("create or replace table enrichment.enrichment_labels (person_id varchar, gender varchar, "
                    "birth_date date, age integer, age_band varchar, city varchar, country varchar, "
                    "declared_at timestamp, is_erased boolean)")
        for p in people:
            con.execute(f"insert into enrichment.profiles_enriched ({', '.join(p)}) values "
                        f"({', '.join('?' for _ in p)})", list(p.values()))
        for lab in labels or []:
            row = {"is_erased": False, **lab}
            con.execute(f"insert into enrichment.enrichment_labels ({', '.join(row)}) values "
                        f"({', '.join('?' for _ in row)})", list(row.values()))


def evaluate(check, warehouse, tmp_path, as_of=AS_OF, **enrichment):
    result = dg.materialize(
        [dg.AssetSpec("profiles_enriched"), check], selection=dg.AssetSelection.checks(check),
        resources={"duckdb": DuckDBResource(database=str(warehouse)),
                   "gx": GreatExpectationsResource(suites_dir=str(SUITES_DIR), data_docs_dir=str(tmp_path / "docs")),
                   "microseg": MicrosegResource(landing=str(tmp_path), reports=str(tmp_path / "r")),
                   "enrichment": EnrichmentResource(**enrichment)},
        tags={AS_OF_TAG: as_of}, raise_on_error=False)
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation, {k: v.value for k, v in evaluation.metadata.items()}


GOOD = [
    {"person_id": "ann", "gender": "female", "gender__provenance": "declared", "gender__confidence": 1.0,
     "age": 30, "age_band": "25-34", "age_band__provenance": "declared", "age_band__confidence": 1.0,
     "city_type": "urban", "city_type__provenance": "reference", "city_type__confidence": 0.95},
    {"person_id": "bob", "gender": "male", "gender__provenance": "inferred", "gender__confidence": 0.81},
    {"person_id": "cy"},
]
GOOD_LABELS = [{"person_id": "ann", "gender": "female", "age": 30, "age_band": "25-34"}, {"person_id": "bob"},
               {"person_id": "cy"}]


def test_the_enriched_gate_is_blocking_and_passes_on_good_profiles(template, tmp_path):
    assert next(iter(ge_profiles_enriched_critical.check_specs)).blocking
    build(template, tmp_path / "w.duckdb", GOOD, GOOD_LABELS)
    evaluation, metadata = evaluate(ge_profiles_enriched_critical, tmp_path / "w.duckdb", tmp_path)
    assert evaluation.passed, metadata["failed_expectations"]
    assert metadata["coverage_by_attribute"]["gender"] == {"coverage": 0.6667, "declared": 1, "third_party": 0,
                                                          "reference": 0, "inferred": 1}


@pytest.mark.parametrize("change, failing", [
    ({"person_id": "bob", "gender__confidence": 1.5}, "confidences_in_range"),
    ({"person_id": "bob", "gender__confidence": -0.1}, "confidences_in_range"),
    ({"person_id": "bob", "gender__provenance": "guess"}, "provenances_allowed"),
    ({"person_id": "bob", "gender__provenance": None}, "values_have_provenance"),
    ({"person_id": "ann", "gender": "male", "gender__provenance": "reference"}, "declared_value_wins"),
    ({"person_id": "ann", "age": 130}, "age_in_range"),
    ({"person_id": "ann", "age_band__provenance": "inferred"}, "declared_age_has_band"),
])
def test_the_enriched_gate_fails_on_each_broken_invariant(template, tmp_path, change, failing):
    people = [dict(p, **change) if p["person_id"] == change["person_id"] else p for p in GOOD]
    build(template, tmp_path / "w.duckdb", people, GOOD_LABELS)
    evaluation, metadata = evaluate(ge_profiles_enriched_critical, tmp_path / "w.duckdb", tmp_path)
    assert not evaluation.passed
    assert failing in {f["column"] for f in metadata["failed_expectations"]}


def test_coverage_check_warns_on_a_sharp_drop_and_records_history(template, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    full = [{"person_id": f"p{i}", "city_type": "urban", "city_type__provenance": "reference",
             "city_type__confidence": 0.95} for i in range(10)]
    build(template, warehouse, full)
    first, meta = evaluate(profiles_enriched_coverage, warehouse, tmp_path, "2026-10-01T00:00:00Z")
    assert first.passed and first.severity == dg.AssetCheckSeverity.WARN and meta["previous_run"] is False
    # the next run loses 60% of the city types (e.g. a provider outage): warn, do not block
    build(template, warehouse, full[:4] + [{"person_id": f"p{i}"} for i in range(4, 10)])
    second, meta = evaluate(profiles_enriched_coverage, warehouse, tmp_path, "2026-11-01T00:00:00Z")
    assert not second.passed and second.severity == dg.AssetCheckSeverity.WARN
    assert meta["drops"] == [{"attribute": "city_type", "previous": 1.0, "current": 0.4, "drop": 0.6}]
    # a tolerant setting accepts it; re-running an as_of replaces its history rows, it never duplicates them
    third, _ = evaluate(profiles_enriched_coverage, warehouse, tmp_path, "2026-11-01T00:00:00Z",
                        coverage_max_drop=0.7)
    assert third.passed
    with duckdb.connect(str(warehouse), read_only=True) as con:
        history = con.execute("select cast(as_of as varchar), coverage from enrichment.coverage_history "
                              "where attribute = 'city_type' order by as_of").fetchall()
    assert history == [("2026-10-01 00:00:00", 1.0), ("2026-11-01 00:00:00", 0.4)]


def test_the_gate_reads_its_dbt_frame_after_profiles_enriched():
    (spec,) = ge_profiles_enriched_critical.check_specs
    assert spec.asset_key == dg.AssetKey(["profiles_enriched"])
    assert dg.AssetKey(["gate_profiles_enriched"]) in {d.asset_key for d in spec.additional_deps}


def test_dbt_vocabulary_matches_the_python_vocabulary():
    """The dbt models read the var enrichment_vocabulary, a mirror of orchestration/lib/enrichment/attributes.py."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    dbt = project["vars"]["enrichment_vocabulary"]
    assert tuple(dbt["attributes"]) == ATTRIBUTES                     # names, in column order
    assert {a for a, kind in dbt["attributes"].items() if kind != "string"} == {"city_population"}
    assert tuple(dbt["declared"]) == DECLARED
    assert tuple(dbt["provenances"]) == PROVENANCES
    assert {a: tuple(v) for a, v in dbt["known_values"].items()} == {a: tuple(v) for a, v in KNOWN_VALUES.items()}
