"""`microseg segments validate | test` on files (the warehouse commands are tested in test_pipeline.py)."""

import shutil

from click.testing import CliRunner

from orchestration.cli import main
from orchestration.lib.core.paths import REPO_ROOT

SEGMENTS = REPO_ROOT / "segments"


def test_segments_validate_shipped_examples_exit_0():
    result = CliRunner().invoke(main, ["segments", "validate", str(SEGMENTS)])
    assert result.exit_code == 0, result.output
    assert "8 segment file(s), 0 with errors" in result.output


def test_segments_validate_broken_file_names_file_and_path_exit_1(tmp_path):
    shutil.copy(SEGMENTS / "high_value.yml", tmp_path / "high_value.yml")
    (tmp_path / "bad.yml").write_text("name: bad\nrules:\n  all:\n    - performed: Product Viewed\n"
                                      "      within: 3 days\n")
    result = CliRunner().invoke(main, ["segments", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "OK    high_value" in result.output and "ERROR bad" in result.output
    assert "bad.yml: rules.all[0].within" in result.output


def test_segments_test_runs_fixtures_and_fails_on_a_wrong_expectation(tmp_path):
    result = CliRunner().invoke(main, ["segments", "test", str(SEGMENTS)])
    assert result.exit_code == 0, result.output
    assert "8 passed, 0 failed" in result.output
    shutil.copytree(SEGMENTS, tmp_path / "segments")
    fixture = tmp_path / "segments" / "tests" / "high_value.yml"
    text = fixture.read_text()
    assert "expect: [" in text
    fixture.write_text(text.replace("expect: [", "expect: [nobody_real, ", 1))
    result = CliRunner().invoke(main, ["segments", "test", str(tmp_path / "segments")])
    assert result.exit_code == 1
    assert "1 failed" in result.output


def test_segments_validate_missing_folder_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["segments", "validate", str(tmp_path / "nope")])
    assert result.exit_code == 2


def test_segments_test_with_nothing_to_test_says_where_it_looked_exit_2(tmp_path):
    # Regression: no fixture files printed "0 passed, 0 failed", as if something had been tested
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["segments", "test", str(empty)])
    assert result.exit_code == 2
    assert f"no fixtures in {empty / 'tests'}/*.yml" in result.stderr and "passed" not in result.output
    untested = tmp_path / "untested"                          # segments, but no tests/ folder
    untested.mkdir()
    shutil.copy(SEGMENTS / "high_value.yml", untested / "high_value.yml")
    result = CliRunner().invoke(main, ["segments", "test", str(untested)])
    assert result.exit_code == 2
    assert f"no fixtures in {untested / 'tests'}/*.yml" in result.stderr
    (untested / "tests").mkdir()                              # fixtures, but none of its segments'
    shutil.copy(SEGMENTS / "tests" / "active_buyers.yml", untested / "tests" / "active_buyers.yml")
    result = CliRunner().invoke(main, ["segments", "test", str(untested)])
    assert result.exit_code == 2
    assert f"no fixtures in {untested / 'tests'}/*.yml for the segments of {untested} (high_value)" in result.stderr
    assert "unknown segment 'active_buyers'" in result.output
    shutil.copy(SEGMENTS / "tests" / "high_value.yml", untested / "tests" / "high_value.yml")
    result = CliRunner().invoke(main, ["segments", "test", str(untested)])
    assert result.exit_code == 1                              # one runs and passes, the stray one is an error
    assert "1 passed, 1 failed" in result.output
