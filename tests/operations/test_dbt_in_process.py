"""dbt in the run's own process: one parse per process, kept between runs, the run's vars at every build."""

from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.constants import AS_OF_TAG
from orchestration.resources import dbt_in_process

pytestmark = pytest.mark.slow


def _dbt_log_messages(target) -> list[str]:
    """The messages of <target>/dbt.log (dbt's text file log: `HH:MM:SS.ffffff [level] [thread]: message`)."""
    lines = (target / "dbt.log").read_text().splitlines()
    return [line.split("]: ", 1)[1] for line in lines if "]: " in line]


def _materialize_profiles(settings, instance, as_of: str):
    from orchestration.assets.dbt import profile_models
    from orchestration.resources import build_resources

    return dg.materialize([profile_models], resources=build_resources(settings), instance=instance,
                          tags={AS_OF_TAG: as_of}, raise_on_error=False)


def test_one_parse_per_process_the_run_vars_at_each_build_and_the_parse_kept_for_the_next_run(
        pipeline_world_copy):
    from orchestration.assets.dbt import dbt_target
    from orchestration.resources.settings import MicrosegResource

    world = pipeline_world_copy
    target = dbt_target(MicrosegResource(warehouse=str(world.settings.warehouse)))
    dbt_in_process._PARSED.clear()                      # as a new process starts: nothing parsed yet
    (target / "dbt.log").unlink(missing_ok=True)

    first = _materialize_profiles(world.settings, world.instance, "2026-10-20T00:00:00Z")
    second = _materialize_profiles(world.settings, world.instance, "2026-10-25T00:00:00Z")
    assert first.success and second.success

    messages = _dbt_log_messages(target)
    commands = [m for m in messages if m.startswith("Command `cli ")]
    assert [c.split("`")[1] for c in commands] == ["cli parse", "cli build", "cli build"]   # parsed once
    # the run's as_of reached each build (passed as vars to the build, not to the parse)
    with duckdb.connect(str(world.settings.warehouse), read_only=True) as con:
        assert con.execute("select distinct as_of from scoring.behavior_features").fetchall() == [
            (datetime(2026, 10, 25),)]

    # the parse did not see the vars, so the next process (a new run, another as_of) keeps dbt's partial parse
    dbt_in_process._PARSED.clear()                      # the next run's process
    (target / "dbt.log").unlink()
    assert _materialize_profiles(world.settings, world.instance, "2026-10-26T00:00:00Z").success
    messages = _dbt_log_messages(target)
    assert not any("Unable to do partial parsing" in m for m in messages), \
        [m for m in messages if "partial pars" in m.lower()]
    assert any("Partial parsing enabled, no changes found" in m or "skipping partial parsing" in m.lower()
               for m in messages)


def test_after_a_build_the_process_opens_the_warehouse_with_its_own_configuration(pipeline_world_copy):
    """dbt-duckdb keeps its DuckDB handle open after a command; a connection with another configuration (the
    steps' own, or the erasure step's file rewrite) would then fail in the same process."""
    world = pipeline_world_copy
    assert _materialize_profiles(world.settings, world.instance, "2026-11-01T00:00:00Z").success
    with duckdb.connect(str(world.settings.warehouse), config={"memory_limit": "777MB"}) as con:
        assert con.execute("select count(*) from marts.profiles_cleaned").fetchall()[0][0] > 0


def test_a_broken_model_fails_the_step_naming_it(pipeline_world_copy):
    """A model whose SQL fails in the warehouse: the step fails with the model's name and dbt's message, the
    models it did not block are still materialized."""
    world = pipeline_world_copy
    with duckdb.connect(str(world.settings.warehouse)) as con:    # int_identity__map reads this relation
        con.execute("drop table identity.identity_map")
    result = _materialize_profiles(world.settings, world.instance, "2026-11-01T00:00:00Z")
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.event_specific_data.error.message
    assert "dbt build failed" in message and "int_identity__map" in message and "identity_map" in message


def test_every_unit_test_of_the_project_passes_here_as_runs_leave_them_out(pipeline_world_copy, tmp_path):
    """The runs' dbt steps exclude dbt's unit tests (SQL on fixed inputs, not checks of the data): this is where
    they all run, on a real warehouse."""
    import json

    from orchestration.constants import DBT_PROJECT_DIR
    from tests.helpers.dbt import run_dbt

    declared = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())["unit_tests"]
    run_dbt(tmp_path / "dbt", pipeline_world_copy.settings.warehouse, ["test", "--resource-type", "unit_test"])
    results = json.loads((tmp_path / "dbt" / "target" / "run_results.json").read_text())["results"]
    assert len(results) == len(declared) >= 10
    assert {r["status"] for r in results} == {"pass"}


def test_dbt_builds_on_after_duckdb_spilled_to_its_temp_directory(pipeline_world_copy, tmp_path, monkeypatch):
    """Regression (100k contacts): once a model had spilled to DuckDB's temp directory, the next cursor dbt opened
    failed with "Cannot switch temporary directory after the current one has been used": dbt-duckdb ran the
    profile's `settings` (memory cap, spill folder) as SET on every new cursor. They are the database's
    configuration now, given when dbt opens it. Here one dbt command spills, and the next, on the same open
    database, builds."""
    import dataclasses

    from dbt.cli.main import dbtRunner

    from orchestration.constants import DBT_PROJECT_DIR
    from orchestration.lib.core.settings import dbt_env, duckdb_config

    settings = dataclasses.replace(pipeline_world_copy.settings, duckdb_memory_limit="64MB")
    for key, value in dbt_env(settings).items():
        monkeypatch.setenv(key, value)
    target = tmp_path / "target"
    manifest = dbt_in_process.parsed_project(DBT_PROJECT_DIR, DBT_PROJECT_DIR, target)
    common = dbt_in_process._common_args(DBT_PROJECT_DIR, DBT_PROJECT_DIR, target)
    try:
        spill = dbtRunner(manifest=manifest).invoke(
            ["show", "--inline", "select s, count(*) as n from (select md5(cast(i as varchar)) as s "
                                 "from range(3000000) t(i)) group by s order by s", *common])
        assert spill.success, spill.exception
        spilled = Path(duckdb_config(settings)["temp_directory"])
        assert spilled.is_dir() and any(spilled.iterdir())        # more than 64MB: DuckDB spilled there
        build = dbtRunner(manifest=manifest).invoke(["build", "--select", "stg_tracking__events", *common])
        assert build.success, build.exception or [r.message for r in build.result if r.message]
    finally:
        dbt_in_process.close_dbt_connections()
