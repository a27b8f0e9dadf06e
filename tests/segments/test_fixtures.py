"""Fixture tests as a user feature: shipped fixtures pass, wrong expectations fail with the difference."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from orchestration.lib.core.paths import REPO_ROOT
from orchestration.lib.segments import dsl
from orchestration.lib.segments import fixtures as fx
from orchestration.lib.segments.dsl import SegmentError

SEGMENTS_DIR = REPO_ROOT / "segments"
TESTS_DIR = SEGMENTS_DIR / "tests"
AS_OF = "2024-06-01T12:00:00Z"


@pytest.fixture(scope="module")
def catalog():
    return dsl.load_catalog(SEGMENTS_DIR)


def write(path: Path, doc) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False))
    return path


# ---------------------------------------------------------------------------------------- shipped fixtures

@pytest.mark.parametrize("path", fx.fixture_files(TESTS_DIR), ids=lambda p: p.stem)
def test_run_fixture_file_shipped_fixture_passes(path, catalog):
    result = fx.run_fixture_file(path, catalog)
    assert result.passed, result.report()
    assert result.segment == path.stem


def test_fixture_files_every_example_segment_has_one(catalog):
    assert catalog.ok, [str(i) for i in catalog.errors]
    assert fx.segments_without_fixtures(catalog.segments, TESTS_DIR) == []


# ------------------------------------------------------------------------------------ failures reported

def test_run_fixture_file_wrong_expectation_reports_missing_and_unexpected(tmp_path, catalog):
    doc = yaml.safe_load((TESTS_DIR / "cart_abandoners_electronics.yml").read_text())
    doc["cases"][0]["expect"] = ["ann", "ben"]            # dan is a member, ben is not yet
    result = fx.run_fixture_file(write(tmp_path / "cart_abandoners_electronics.yml", doc), catalog)
    assert not result.passed and not result.errors
    failed = result.failures
    assert len(failed) == 1 and failed[0].missing == ["ben"] and failed[0].unexpected == ["dan"]
    report = result.report()
    assert "1 of 2 case(s) failed" in report and "missing ['ben']; unexpected ['dan']" in report
    assert result.cases[1].passed


def test_run_fixture_file_unknown_segment_is_error(tmp_path, catalog):
    path = write(tmp_path / "nope.yml", {"as_of": AS_OF, "cases": [{"people": [{"id": "a"}], "expect": []}]})
    result = fx.run_fixture_file(path, catalog)
    assert not result.passed and "unknown segment 'nope'" in str(result.errors[0])


def test_run_fixture_file_broken_segment_reports_its_errors(tmp_path):
    write(tmp_path / "seg" / "broken.yml", "name: broken\nrules: {attribute: gendr, equals: f}\n")
    path = write(tmp_path / "seg" / "tests" / "broken.yml", {"as_of": AS_OF, "people": [{"id": "a"}], "expect": []})
    result = fx.run_fixture_file(path, dsl.load_catalog(tmp_path / "seg"))
    assert not result.passed and "unknown attribute 'gendr'" in str(result.errors[0])


# --------------------------------------------------------------------------------------- the runner itself

def test_run_fixture_dir_in_segment_chain_and_single_case_file(tmp_path):
    seg = tmp_path / "segs"
    write(seg / "recent_viewers.yml", {"name": "recent_viewers", "rules": {"performed": "Product Viewed",
                                                                           "within": "7d"}})
    write(seg / "engaged_recent_viewers.yml", {"name": "engaged_recent_viewers", "rules": {"all": [
        {"in_segment": "recent_viewers"}, {"score": "engagement", "gte": 50},
        {"score": "affinity.Books", "gte": 0.5}]}})
    write(seg / "tests" / "engaged_recent_viewers.yml", {
        "as_of": AS_OF,                                   # no `cases`: the file is one case
        "people": [
            {"id": "ann", "scores": {"engagement": 70}, "affinity": {"Books": 0.8},
             "events": [{"event": "Product Viewed", "at": "-6d23h"}]},
            {"id": "bob", "scores": {"engagement": 70}, "affinity": {"Books": 0.8},
             "events": [{"event": "Product Viewed", "at": "-7d"}]},
            {"id": "cat", "scores": {"engagement": 70}, "affinity": {"Books": 0.2},
             "events": [{"event": "Product Viewed", "at": "2024-06-01T10:00:00+02:00"}]},
        ],
        "expect": ["ann"]})
    results = fx.run_fixture_dir(seg)
    assert len(results) == 1 and results[0].passed, results[0].report()


def test_run_fixture_attributes_provenance_and_typed_properties(tmp_path):
    seg = tmp_path / "segs"
    write(seg / "t.yml", {"name": "t", "rules": {"all": [
        {"attribute": "city_type", "equals": "urban", "min_confidence": 0.8},
        {"attribute": "email", "equals": "ann@example.com"},
        {"performed": "Order Completed", "where": {"total": {"gte": 100}, "coupon": "X1"}}]}})
    person = {"attributes": {"city_type": {"value": "urban", "provenance": "inferred", "confidence": 0.9},
                             "email": "ANN@example.com"},
              "events": [{"event": "Order Completed", "at": "as_of", "properties": {"total": "150", "coupon": "X1"}}]}
    write(seg / "tests" / "t.yml", {"as_of": AS_OF, "cases": [
        {"name": "confident", "people": [{"id": "ann", **person}], "expect": ["ann"]},
        {"name": "not confident", "people": [{"id": "ann", **person, "attributes": {
            **person["attributes"], "city_type": {"value": "urban", "provenance": "inferred", "confidence": 0.5}}}],
         "expect": []}]})
    result = fx.run_fixture_dir(seg)[0]
    assert result.passed, result.report()


# ---------------------------------------------------------------------------------------- fixture parsing

@pytest.mark.parametrize("text, delta", [
    ("-2h", timedelta(hours=-2)), ("-7d", timedelta(days=-7)), ("+1h", timedelta(hours=1)),
    ("-29d23h59m59s", timedelta(days=-30, seconds=1)), ("-1w", timedelta(weeks=-1)),
])
def test_parse_offset_relative_times(text, delta):
    assert fx.parse_offset(text) == delta


@pytest.mark.parametrize("text", ["2h", "-2 h", "-2y", "", "-"])
def test_parse_offset_invalid_raises(text):
    with pytest.raises(ValueError):
        fx.parse_offset(text)


def test_parse_fixture_relative_time_against_case_as_of():
    fixture = fx.parse_fixture({"as_of": AS_OF, "cases": [
        {"people": [{"id": "a", "events": [{"event": "Signed In", "at": "-2h"}]}], "expect": ["a"]},
        {"as_of": "2024-07-01", "people": [{"id": "a", "events": [{"event": "Signed In", "at": "-1d"}]}],
         "expect": []}]}, default_segment="s")
    assert fixture.segment == "s"
    assert fixture.cases[0].people[0].events[0].at == datetime(2024, 6, 1, 10, 0)
    assert fixture.cases[1].people[0].events[0].at == datetime(2024, 6, 30)


@pytest.mark.parametrize("case, path, fragment", [
    ({"people": [{"id": "a", "attributes": {"gendr": "f"}}], "expect": []}, "cases[0].people[0].attributes.gendr",
     "unknown attribute 'gendr'"),
    ({"people": [{"id": "a", "attributes": {"age": 30}}], "expect": []}, "cases[0].people[0].attributes.age",
     "give birth_date"),
    ({"people": [{"id": "a", "attributes": {"postal_code": {"value": "10115", "provenance": "inferred"}}}], "expect": []},
     "cases[0].people[0].attributes.postal_code", "declared-only"),
    ({"people": [{"id": "a", "attributes": {"birth_date": "yesterday"}}], "expect": []},
     "cases[0].people[0].attributes.birth_date", "birth_date is a date"),
    ({"people": [{"id": "a", "scores": {"engagment": 3}}], "expect": []}, "cases[0].people[0].scores.engagment",
     "unknown score"),
    ({"people": [{"id": "a", "events": [{"event": "Signed In", "at": "-2 days"}]}], "expect": []},
     "cases[0].people[0].events[0].at", "relative time"),
    ({"people": [{"id": "a", "events": [{"event": "Signed In"}]}], "expect": []},
     "cases[0].people[0].events[0].at", "missing"),
    ({"people": [{"id": "a", "events": [{"event": "Signed In", "at": "-1h", "product": {"colour": "red"}}]}],
      "expect": []}, "cases[0].people[0].events[0].product.colour", "unknown product column"),
    ({"people": [{"id": "a"}], "expect": ["b"]}, "cases[0].expect[0]", "not one of this case's people"),
    ({"people": [{"id": "a"}, {"id": "a"}], "expect": []}, "cases[0].people[1].id", "duplicate person id"),
    ({"people": [{"id": "a"}]}, "cases[0].expect", "list of person ids"),
    ({"people": [{"id": "a"}], "expect": [], "expected": []}, "cases[0].expected", "unknown key"),
])
def test_parse_fixture_errors_path_and_message(case, path, fragment):
    with pytest.raises(SegmentError) as info:
        fx.parse_fixture({"segment": "s", "as_of": AS_OF, "cases": [case]}, "segments/tests/s.yml")
    messages = [str(i) for i in info.value.issues]
    assert any(m.startswith(f"segments/tests/s.yml: {path}: ") and fragment in m for m in messages), messages


def test_parse_fixture_missing_as_of_error():
    with pytest.raises(SegmentError, match=r"cases\[0\].as_of: missing"):
        fx.parse_fixture({"segment": "s", "cases": [{"people": [], "expect": []}]})


def test_run_fixture_file_invalid_yaml_reported_not_raised(tmp_path, catalog):
    result = fx.run_fixture_file(write(tmp_path / "x.yml", "cases: [\n"), catalog)
    assert not result.passed and "cannot read the fixture" in str(result.errors[0])
