import json

import dagster as dg

from orchestration.constants import AS_OF_TAG, RECEIVED_DAYS
from tests.helpers.landing import event


def test_definitions_load():
    from orchestration.definitions import defs

    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("ingest_events_job")
    assert defs.resolve_job_def("refresh_job")
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw/events", "raw/contacts", "stg_tracking__events", "stg_crm__contacts", "load_report"} <= keys


def test_gates_are_blocking_checks_on_staging():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert ("stg_tracking__events", "ge_stg_tracking__events_critical") in checks
    assert ("stg_crm__contacts", "ge_stg_crm__contacts_critical") in checks
    from orchestration.checks.gates import ge_stg_tracking__events_critical
    spec = next(iter(ge_stg_tracking__events_critical.check_specs))
    assert spec.blocking


def test_landing_sensor_new_changed_and_unchanged_folders(landing):
    from orchestration.resources.settings import MicrosegResource
    from orchestration.sensors import landing_folder_sensor

    landing.events("2026-10-01", [event("a")])
    landing.events("2026-10-02", [event("b")])
    resource = MicrosegResource(landing=str(landing.root), reports=str(landing.root / "r"))
    instance = dg.DagsterInstance.ephemeral()
    result = landing_folder_sensor(dg.build_sensor_context(instance=instance, cursor=None), microseg=resource)
    assert [r.partition_key for r in result.run_requests] == ["2026-10-01", "2026-10-02"]
    assert result.dynamic_partitions_requests[0].partition_keys == ["2026-10-01", "2026-10-02"]
    instance.add_dynamic_partitions(RECEIVED_DAYS, ["2026-10-01", "2026-10-02"])
    cursor = result.cursor
    again = landing_folder_sensor(dg.build_sensor_context(instance=instance, cursor=cursor), microseg=resource)
    assert again.run_requests == [] and again.dynamic_partitions_requests == []
    landing.events("2026-10-02", [event("c")], name="second.jsonl")     # a late file for a loaded day
    landing.events("2026-10-03", [event("d")])                          # a new day
    changed = landing_folder_sensor(dg.build_sensor_context(instance=instance, cursor=cursor), microseg=resource)
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
