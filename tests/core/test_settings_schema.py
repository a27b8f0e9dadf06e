"""Settings declared once: the schema drives validation, env overrides, resource fields and the docs."""

import json
import os
import subprocess
import sys

import pytest

from orchestration.lib.core import REPO_ROOT, SettingsError, all_schemas, configuration_doc, load_settings
from orchestration.lib.core.settings import all_settings, load_settings_with_origins


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("MICROSEG_"):
            monkeypatch.delenv(name)
    return tmp_path


def test_configuration_doc_is_generated_from_the_schema_and_current():
    # Regression: the README's configuration table was written by hand and drifted from the code
    assert (REPO_ROOT / "docs" / "configuration.md").read_text() == configuration_doc(), \
        "docs/configuration.md is stale: run `microseg config docs > docs/configuration.md`"
    for setting in all_settings():
        assert f"`{setting.name}`" in configuration_doc() and setting.env_var in configuration_doc()


def test_every_setting_is_declared_once():
    names = [s.name for s in all_settings()]
    assert len(names) == len(set(names))
    assert {schema.domain for schema in all_schemas()} == {"core", "identity", "segments", "enrichment"}


def test_resource_fields_are_the_schema_settings():
    from orchestration.resources.enrichment import EnrichmentResource
    from orchestration.resources.settings import MicrosegResource

    for resource_cls, name in ((MicrosegResource, "microseg"), (EnrichmentResource, "enrichment")):
        declared = {s.resource_field for s in all_settings() if s.resource == name}
        assert set(resource_cls.model_fields) >= declared
        assert all(resource_cls.model_fields[f].description for f in declared)


def test_build_resources_carries_every_value_from_settings(clean_env):
    (clean_env / "microseg.yml").write_text(
        "max_cluster_size: 5\nsegment_change_min_members: 3\nenrichment_provider: http\n"
        "enrichment_http: {base_url: 'http://127.0.0.1:9', rate_limit: 4}\ninference_min_confidence: 0.9\n"
        "enrichment_coverage_max_drop: 0.5\nfuture_tolerance_hours: 2\n")
    from orchestration.resources import build_resources

    resources = build_resources(load_settings())
    microseg, enrichment = resources["microseg"], resources["enrichment"]
    assert microseg.max_cluster_size == 5 and microseg.segment_change_min_members == 3
    assert microseg.future_tolerance_hours == 2.0
    assert enrichment.provider == "http" and enrichment.http == {"base_url": "http://127.0.0.1:9", "rate_limit": 4}
    assert enrichment.inference_min_confidence == 0.9 and enrichment.coverage_max_drop == 0.5
    assert enrichment.http_config().rate_limit == 4     # a typed mapping, not JSON in a string
    assert resources["dbt"].dbt_env["MICROSEG_WAREHOUSE"] == str(clean_env / "data" / "warehouse.duckdb")


@pytest.mark.parametrize("env, value, message", [
    ("MICROSEG_MAX_CLUSTER_SIZE", "1", "env MICROSEG_MAX_CLUSTER_SIZE: max_cluster_size must be >= 2, got 1"),
    ("MICROSEG_REVIEW_THRESHOLD", "lots", "env MICROSEG_REVIEW_THRESHOLD: review_threshold must be a number"),
    ("MICROSEG_ENRICHMENT_PROVIDER", "clearbit", "env MICROSEG_ENRICHMENT_PROVIDER: enrichment_provider must be"),
    ("MICROSEG_AS_OF", "soon", "env MICROSEG_AS_OF: as_of: as_of 'soon' is not an ISO-8601 instant"),
])
def test_a_bad_env_value_names_the_env_var(clean_env, monkeypatch, env, value, message):
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert message in str(caught.value)


def test_cross_checks_name_where_the_value_came_from(clean_env, monkeypatch):
    (clean_env / "microseg.yml").write_text("auto_merge_threshold: 0.7\n")
    monkeypatch.setenv("MICROSEG_REVIEW_THRESHOLD", "0.8")
    with pytest.raises(SettingsError, match=r"env MICROSEG_REVIEW_THRESHOLD: review_threshold \(0.8\) must not be "
                                            r"above auto_merge_threshold \(0.7\)"):
        load_settings()


def test_origins_say_where_each_value_came_from(clean_env, monkeypatch):
    (clean_env / "microseg.yml").write_text("max_cluster_size: 4\n")
    monkeypatch.setenv("MICROSEG_REVIEW_THRESHOLD", "0.5")
    settings, origins = load_settings_with_origins({"as_of": "2026-11-01T00:00:00Z"})
    assert origins["max_cluster_size"] == str(clean_env / "microseg.yml")
    assert origins["review_threshold"] == "env MICROSEG_REVIEW_THRESHOLD"
    assert origins["as_of"] == "--as-of" and "segment_max_change" not in origins
    assert settings.max_cluster_size == 4 and settings.review_threshold == 0.5


def test_config_show_and_docs_commands(clean_env, monkeypatch):
    from click.testing import CliRunner

    from orchestration.cli import main

    monkeypatch.setenv("MICROSEG_MAX_CLUSTER_SIZE", "6")
    shown = CliRunner().invoke(main, ["config", "show", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["max_cluster_size"] == 6
    text = CliRunner().invoke(main, ["config", "show"]).output
    assert "max_cluster_size" in text and "env MICROSEG_MAX_CLUSTER_SIZE" in text
    monkeypatch.setenv("MICROSEG_MAX_CLUSTER_SIZE", "1")
    bad = CliRunner().invoke(main, ["config", "show"])
    assert bad.exit_code == 2 and "MICROSEG_MAX_CLUSTER_SIZE" in bad.output
    assert CliRunner().invoke(main, ["config", "docs"]).output == configuration_doc()


def test_importing_the_definitions_has_no_side_effects(tmp_path):
    # Regression: building the definitions (as Dagster does when it loads the module) wrote MICROSEG_* into
    # os.environ and created the warehouse folder
    warehouse = tmp_path / "not-yet" / "w.duckdb"
    code = ("import json, os; before = dict(os.environ); import orchestration.definitions as d; "
            "d.build_defs(); after = dict(os.environ); "
            "print(json.dumps({k: after.get(k) for k in set(before) | set(after) if before.get(k) != after.get(k)}))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROSEG_")}
    env.update(MICROSEG_WAREHOUSE=str(warehouse), MICROSEG_REPORTS=str(tmp_path / "reports"))
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    changed = json.loads(proc.stdout.strip().splitlines()[-1])
    # scikit-learn sets its OpenMP variables (KMP_*) when imported: not ours
    assert {k: v for k, v in changed.items() if not k.startswith("KMP_")} == {}
    assert not warehouse.parent.exists() and not (tmp_path / "reports").exists()


def test_a_mapping_setting_takes_one_key_per_env_var(clean_env, monkeypatch):
    (clean_env / "microseg.yml").write_text("enrichment_provider: http\n"
                                           "enrichment_http: {base_url: 'http://127.0.0.1:9', rate_limit: 5}\n")
    monkeypatch.setenv("MICROSEG_ENRICHMENT_HTTP__RATE_LIMIT", "2")
    monkeypatch.setenv("MICROSEG_ENRICHMENT_HTTP__CONCURRENCY", "3")
    settings, origins = load_settings_with_origins()
    assert settings.enrichment_http == {"base_url": "http://127.0.0.1:9", "rate_limit": 2, "concurrency": 3}
    assert "MICROSEG_ENRICHMENT_HTTP__RATE_LIMIT" in origins["enrichment_http"]
    monkeypatch.setenv("MICROSEG_ENRICHMENT_HTTP__RATE_LIMIT", "fast")
    with pytest.raises(SettingsError, match="enrichment_http.rate_limit: expected a number"):
        load_settings()
