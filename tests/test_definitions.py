import json

import dagster as dg
import pytest

from orchestration.constants import AS_OF_TAG, RECEIVED_DAYS
from tests.helpers.landing import event


def test_definitions_load():
    from orchestration.definitions import build_defs
    defs = build_defs()

    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("ingest_events_job")
    assert defs.resolve_job_def("refresh_job")
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw/events", "raw/contacts", "stg_tracking__events", "stg_crm__contacts", "load_report"} <= keys


def test_gates_are_blocking_checks_on_staging():
    from orchestration.definitions import build_defs
    defs = build_defs()

    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert ("stg_tracking__events", "ge_stg_tracking__events_critical") in checks
    assert ("stg_crm__contacts", "ge_stg_crm__contacts_critical") in checks
    from orchestration.checks.gates import ge_stg_tracking__events_critical
    spec = next(iter(ge_stg_tracking__events_critical.check_specs))
    assert spec.blocking


def test_landing_sensor_new_changed_and_unchanged_folders(landing, tmp_path):
    from orchestration.resources.settings import MicrosegResource
    from orchestration.resources.warehouse import WarehouseResource
    from orchestration.sensors import landing_folder_sensor

    landing.events("2026-10-01", [event("a")])
    landing.events("2026-10-02", [event("b")])
    resources = {"microseg": MicrosegResource(landing=str(landing.root), reports=str(landing.root / "r")),
                 "duckdb": WarehouseResource(database=str(tmp_path / "w.duckdb"))}
    instance = dg.DagsterInstance.ephemeral()

    def evaluate(cursor):
        with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
            return landing_folder_sensor(context)       # within the `with`: WarehouseResource is a generator

    result = evaluate(None)
    assert [r.partition_key for r in result.run_requests] == ["2026-10-01", "2026-10-02"]
    assert result.dynamic_partitions_requests[0].partition_keys == ["2026-10-01", "2026-10-02"]
    instance.add_dynamic_partitions(RECEIVED_DAYS, ["2026-10-01", "2026-10-02"])
    cursor = result.cursor
    again = evaluate(cursor)
    assert again.run_requests == [] and again.dynamic_partitions_requests == []
    landing.events("2026-10-02", [event("c")], name="second.jsonl")     # a late file for a loaded day
    landing.events("2026-10-03", [event("d")])                          # a new day
    changed = evaluate(cursor)
    assert [r.partition_key for r in changed.run_requests] == ["2026-10-02", "2026-10-03"]
    assert changed.dynamic_partitions_requests[0].partition_keys == ["2026-10-03"]
    assert len(set(r.run_key for r in changed.run_requests) | set(r.run_key for r in result.run_requests)) == 4
    assert json.loads(changed.cursor).keys() == {"2026-10-01", "2026-10-02", "2026-10-03"}


def test_daily_schedule_sets_as_of_to_scheduled_time():
    from datetime import datetime, timezone

    from orchestration.schedules import daily_refresh

    ctx = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc))
    request = daily_refresh(ctx)
    assert request.tags[AS_OF_TAG] == "2026-11-02T06:00:00Z"


@pytest.mark.slow
def test_schema_drift_fails_the_table_asset_naming_file_and_column(landing, tmp_path):
    from dagster_duckdb import DuckDBResource

    from orchestration.assets.ingest import table_assets
    from orchestration.resources.settings import MicrosegResource
    from tests.helpers.landing import CONTACT_HEADER, contact_row

    landing.contacts([contact_row("c1")], name="contacts_a.csv")
    landing.csv("crm/contacts_b.csv", CONTACT_HEADER.replace("email,", "e_mail,"), [contact_row("c2")])
    contacts = next(a for a in table_assets if a.key == dg.AssetKey(["raw", "contacts"]))
    result = dg.materialize(
        [contacts], raise_on_error=False, tags={AS_OF_TAG: "2026-11-01T00:00:00Z"},
        resources={"duckdb": DuckDBResource(database=str(tmp_path / "w.duckdb")),
                   "microseg": MicrosegResource(landing=str(landing.root), reports=str(tmp_path / "r"))})
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.event_specific_data.error.message + str(failure.event_specific_data.user_failure_data)
    assert "crm/contacts_b.csv" in message and "'email'" in message and "e_mail" in message
    import duckdb
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:     # the good file still loaded
        assert con.execute("select contact_id from raw.contacts").fetchall() == [("c1",)]


def test_dbt_models_grouped_by_domain_and_gates_read_their_frames_after_them():
    from orchestration.definitions import build_defs
    defs = build_defs()

    graph = defs.resolve_asset_graph()
    group = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {m: group[m] for m in ("stg_tracking__events", "int_identity__map", "int_events__attributed",
                                  "int_orders__attributed", "profiles_cleaned", "profile_emails",
                                  "int_enrichment__attributes", "enrichment_labels", "profiles_enriched",
                                  "person_events", "behavior_scores", "seg_profiles", "raw/events")} == {
        "stg_tracking__events": "staging", "int_identity__map": "identity", "int_events__attributed": "identity",
        "int_orders__attributed": "identity", "profiles_cleaned": "identity", "profile_emails": "identity",
        "int_enrichment__attributes": "enrichment", "enrichment_labels": "enrichment",
        "profiles_enriched": "enrichment", "person_events": "scoring", "behavior_scores": "scoring",
        "seg_profiles": "segments", "raw/events": "ingest"}
    # a gate's frame (dbt view gates.gate_<model>) is grouped with the model it checks, and the gate reads it
    for model in ("stg_tracking__events", "stg_crm__contacts", "profiles_cleaned", "profiles_enriched"):
        assert group[f"gate_{model}"] == group[model]
        assert dg.AssetKey([model]) in graph.get(dg.AssetKey([f"gate_{model}"])).parent_keys
    checks = {k.name: k for k in graph.asset_check_keys}
    for name, frame in (("ge_stg_tracking__events_critical", "gate_stg_tracking__events"),
                        ("ge_profiles_cleaned_critical", "gate_profiles_cleaned"),
                        ("ge_profiles_enriched_critical", "gate_profiles_enriched")):
        assert dg.AssetKey([frame]) in {d.asset_key for d in graph.get_check_spec(checks[name]).additional_deps}


def test_every_dbt_model_tests_its_grain():
    """unique (one key) or unique_combination_of_columns (a composite key) on every model; a gate's frame
    (models/gates/) has its grain asserted by its GE suite instead."""
    from orchestration.project import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text())
    grain = {n["attached_node"] for n in manifest["nodes"].values()
             if n["resource_type"] == "test" and (n.get("test_metadata") or {}).get("name")
             in ("unique", "unique_combination_of_columns")}
    models = {k for k, n in manifest["nodes"].items() if n["resource_type"] == "model" and n["fqn"][1] != "gates"}
    assert models and sorted(models - grain) == []
