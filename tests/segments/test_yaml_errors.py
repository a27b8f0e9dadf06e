"""YAML that cannot be read: segment files and fixtures name the file, and the line and column of a parse error
(orchestration.lib.core.yaml_files, shared with the other domains' configuration files)."""

from __future__ import annotations

import pytest

from orchestration.lib.core import (
    YamlFileError,
    load_yaml,
    load_yaml_mapping,
    parse_yaml,
)
from orchestration.lib.segments import fixtures as fx
from orchestration.lib.segments.dsl import SegmentError, load_catalog, validate_dir


def test_parse_error_names_source_line_and_column():
    with pytest.raises(YamlFileError) as exc:
        parse_yaml("name: t\nrules: {all: [\n", "segments/t.yml")
    assert (exc.value.line, exc.value.column) == (3, 1)
    assert str(exc.value).startswith("segments/t.yml: not valid YAML at line 3, column 1: ")
    assert exc.value.reason == str(exc.value).removeprefix("segments/t.yml: ")


def test_load_yaml_missing_unreadable_and_empty(tmp_path):
    with pytest.raises(YamlFileError, match="nope.yml: no such file"):
        load_yaml(tmp_path / "nope.yml")
    (tmp_path / "latin1.yml").write_bytes(b"name: caf\xe9\n")
    with pytest.raises(YamlFileError, match="latin1.yml: cannot read the file: 'utf-8' codec"):
        load_yaml(tmp_path / "latin1.yml")
    (tmp_path / "empty.yml").write_text("")
    assert load_yaml(tmp_path / "empty.yml") is None and load_yaml_mapping(tmp_path / "empty.yml") == {}


def test_load_yaml_mapping_rejects_other_documents(tmp_path):
    (tmp_path / "list.yml").write_text("- a\n")
    with pytest.raises(YamlFileError, match=r"list.yml: expected a mapping of settings, got list$"):
        load_yaml_mapping(tmp_path / "list.yml", "a mapping of settings")
    assert issubclass(YamlFileError, ValueError)


def test_validate_dir_reports_unreadable_and_invalid_files_beside_good_ones(tmp_path):
    (tmp_path / "good.yml").write_text("name: good\nrules: {attribute: gender, equals: female}\n")
    (tmp_path / "broken.yml").write_text("name: broken\nrules: {all: [\n")
    (tmp_path / "latin1.yml").write_bytes(b"name: caf\xe9\n")
    results = {r.source.rsplit("/", 1)[-1]: r for r in validate_dir(tmp_path)}
    assert results["good.yml"].ok
    assert [str(i) for i in results["broken.yml"].errors] == [
        f"{tmp_path}/broken.yml: not valid YAML at line 3, column 1: expected the node content, but found "
        "'<stream end>' (while parsing a flow node)"]
    assert str(results["latin1.yml"].errors[0]).startswith(f"{tmp_path}/latin1.yml: cannot read the file: ")
    assert sorted(load_catalog(tmp_path).segments) == ["good"]


def test_quoted_text_document_is_not_parsed_twice(tmp_path):
    (tmp_path / "text.yml").write_text("'name: t'\n")
    (result,) = validate_dir(tmp_path)
    assert [str(i) for i in result.errors] == [
        f"{tmp_path}/text.yml: expected a mapping with keys name, description, owner, tags, expect_nonempty, "
        "rules, got 'name: t'"]


def test_fixture_parse_error_names_line_and_column(tmp_path):
    (tmp_path / "x.yml").write_text("cases: [\n")
    with pytest.raises(SegmentError, match=r"x.yml: cannot read the fixture: not valid YAML at line 2, column 1: "):
        fx.load_fixture(tmp_path / "x.yml")
