"""`microseg run`'s console and summary: each failure in one line (asset key, reason), no stack trace for an
expected failure, nothing repeated as blocked, one staging step per source, no dbt or Dagster noise, tables in
data-flow order with the redelivered duplicates, and the load report with its gates."""

import os
import re
import subprocess
import sys
from types import SimpleNamespace

import dagster as dg
import duckdb
import pytest

from orchestration.lib.core import REPO_ROOT, format_summary, warehouse_summary
from tests.helpers.landing import CONTACT_HEADER, contact_row, event
from tests.helpers.world import AS_OF, settings_for

SCHEMAS = ("raw", "quarantine", "staging", "identity", "erasure", "intermediate", "marts", "enrichment", "scoring",
           "segments")
BROKEN_SEGMENT = "name: broken\nrules:\n  attribute: gender\n  equal: female\n"


def test_tables_in_data_flow_order_with_the_redelivered_duplicates(tmp_path):
    # Regression: identity, marts, scoring, ... were mixed (ordered by table name after staging), quarantine
    # tables were missing, and raw.events (redeliveries included) did not add up to the staged events
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        for schema, table in (("segments", "a_members"), ("scoring", "a_scores"), ("marts", "z_profiles"),
                              ("identity", "b_map"), ("staging", "stg_tracking__events"), ("quarantine", "events"),
                              ("quarantine", "records"), ("quarantine", "files"), ("enrichment", "a_enriched"),
                              ("intermediate", "int_x"), ("erasure", "tombstones"), ("raw", "events")):
            con.execute(f"create schema if not exists {schema}")
            if (schema, table) == ("raw", "events"):
                con.execute("create table raw.events as select * from (values ('m1'), ('m2'), ('m1'), ('m1')) "
                            "t(message_id)")
            elif schema == "quarantine":
                con.execute(f"create table quarantine.{table} (dataset varchar, source_file varchar, "
                            "reason varchar, message varchar)")
            else:
                con.execute(f"create table {schema}.{table} as select 1 as x")
        summary = warehouse_summary(con)
    schemas = [name.split(".")[0] for name in summary["rows"]]
    assert schemas == sorted(schemas, key=SCHEMAS.index) and set(schemas) == set(SCHEMAS)
    assert list(summary["rows"])[:4] == ["raw.events", "quarantine.events", "quarantine.files", "quarantine.records"]
    assert summary["redelivered"] == {"raw.events": 2}
    text = format_summary(summary)
    lines = text.splitlines()
    at = lines.index(next(line for line in lines if line.strip().startswith("raw.events")))
    assert re.fullmatch(r"\s+redelivered duplicates \(staged once\)\s+2", lines[at + 1])
    assert summary["rows"]["raw.events"] - summary["redelivered"]["raw.events"] == 2   # = distinct messages


def test_the_summary_counts_erasure_requests_and_rows_dropped_at_ingest(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create schema erasure")
        con.execute("create table erasure.requests as select * from (values ('er-1', 'erased'), ('er-2', 'erased'), "
                    "('er-3', 'not_found'), ('er-4', 'pending')) t(request_id, status)")
        con.execute("create table erasure.dropped_at_ingest as select * from (values ('contacts', null, 'a.csv', 2), "
                    "('events', '2026-10-01', 'e.jsonl', 3), ('events', '2026-10-02', 'f.jsonl', 4)) "
                    "t(dataset, partition_key, source_file, rows)")
        summary = warehouse_summary(con)
    assert summary["erasure"] == {"requests": {"erased": 2, "not_found": 1, "pending": 1},
                                  "dropped_at_ingest": {"contacts": 2, "events": 7}}
    lines = format_summary(summary).splitlines()
    at = lines.index("Erasure (reports in reports/erasure/):")
    assert lines[at + 1] == "  requests: 2 erased, 1 not_found, 1 pending"
    assert lines[at + 2].endswith("contacts 2, events 7")
    without = format_summary({**summary, "erasure": {"requests": {}, "dropped_at_ingest": {}}})
    assert "Erasure" not in without


def test_each_failure_in_one_line_and_failed_assets_not_listed_as_blocked():
    summary = {"rows": {"raw.contacts": 1}, "redelivered": {}, "quarantine": [], "file_problems": []}
    text = format_summary(summary, gates=[], failures=[
        {"asset": "raw/contacts", "reason": "schema drift: crm/contacts.csv: column 'email'\nis missing"},
        {"asset": "segments/broken", "reason": "unknown operator 'equal' (did you mean 'equals'?)"}],
        blocked=["stg_crm__contacts"])
    lines = text.splitlines()
    failed = lines.index("Failed (asset: reason):")
    assert lines[failed + 1:failed + 3] == [
        "  raw/contacts: schema drift: crm/contacts.csv: column 'email' is missing",
        "  segments/broken: unknown operator 'equal' (did you mean 'equals'?)"]
    assert lines[failed + 3] == "Not materialized (blocked upstream): stg_crm__contacts"


def _tiny_job():
    @dg.asset(key=["raw", "thing"])
    def thing(context):
        context.log.info("loaded 3 rows")

    @dg.asset(deps=[thing])
    def broken():
        raise dg.Failure(description="schema drift:\nthings.csv: column 'email' is missing")

    @dg.asset(deps=[broken])
    def after():
        pass

    @dg.asset
    def crash():
        raise ValueError("boom")

    return dg.Definitions(assets=[thing, broken, after, crash],
                          jobs=[dg.define_asset_job("tiny", selection=[thing, broken, after, crash])]
                          ).resolve_job_def("tiny")


def test_console_names_assets_and_says_an_expected_failure_in_one_line(capsys):
    from orchestration.pipeline import RunOutcome, execute

    outcome = RunOutcome(as_of=AS_OF, success=True)
    execute(_tiny_job(), dg.DagsterInstance.ephemeral(), {}, outcome)
    console = capsys.readouterr().err
    assert re.search(r"^\d\d:\d\d:\d\d raw/thing: loaded 3 rows$", console, re.M), console
    assert re.search(r"^\d\d:\d\d:\d\d FAILED broken: schema drift: things.csv: column 'email' is missing$",
                     console, re.M), console
    # only the unexpected error prints its stack trace; engine events and skipped steps are not printed
    assert console.count("Stack Trace") == 1 and "FAILED crash: ValueError: boom\n" in console
    assert "raw__thing" not in console and "STEP_" not in console and "Not executing" not in console
    assert sorted(outcome.failures, key=lambda f: f["asset"]) == [
        {"asset": "broken", "reason": "schema drift: things.csv: column 'email' is missing"},
        {"asset": "crash", "reason": "ValueError: boom"}]
    assert outcome.not_materialized == ["after"]                       # failed assets are not "blocked"
    execute(_tiny_job(), dg.DagsterInstance.ephemeral(), {}, RunOutcome(as_of=AS_OF, success=True), verbose=True)
    assert "STEP_START" in capsys.readouterr().err


def test_a_failed_dbt_build_is_one_failure_naming_the_model():
    from orchestration.assets.dbt import dbt_failure
    from orchestration.lib.core import FAILED_ASSETS

    nodes = {"model.microseg.stg_shop__orders": {"resource_type": "model", "name": "stg_shop__orders"},
             "test.microseg.unique_stg_shop__orders_order_id.1": {
                 "resource_type": "test", "name": "unique_stg_shop__orders_order_id",
                 "attached_node": "model.microseg.stg_shop__orders"}}
    results = [{"unique_id": "model.microseg.stg_shop__orders", "status": "success", "message": "OK"},
               {"unique_id": "test.microseg.unique_stg_shop__orders_order_id.1", "status": "fail",
                "message": "Got 1 result,\nconfigured to fail if != 0"}]
    invocation = SimpleNamespace(manifest={"nodes": nodes}, dbt_command="dbt build",
                                 get_artifact=lambda name: {"results": results}, get_error=lambda: None)
    failure = dbt_failure(invocation)
    assert failure.description == ("dbt build failed: test unique_stg_shop__orders_order_id on stg_shop__orders "
                                   "fail: Got 1 result, configured to fail if != 0")
    assert failure.metadata[FAILED_ASSETS].value == ["stg_shop__orders"]


def test_staging_is_one_dbt_step_per_source_with_its_gates_frames():
    # Regression: all staging was one dbt step, so a broken contacts file also blocked event staging
    from orchestration.definitions import build_defs
    defs = build_defs()
    from orchestration.run_console import step_entities

    steps = {step: {k.to_user_string() for k in keys} for step, (keys, _) in
             step_entities(defs.resolve_job_def("refresh_job")).items()}
    staging = {step: keys for step, keys in steps.items() if any(k.startswith("stg_") for k in keys)}
    assert {step: sorted(keys) for step, keys in staging.items()} == {
        "staging_crm_models": ["gate_stg_crm__contacts", "stg_crm__contacts"],
        "staging_esp_models": ["stg_esp__suppressions"],
        "staging_shop_models": ["stg_shop__order_items", "stg_shop__orders", "stg_shop__products"],
        "staging_tracking_models": ["gate_stg_tracking__events", "stg_tracking__events"]}


def test_importing_the_definitions_prints_no_beta_warning():
    # Regression: Dagster's BetaWarning for raw/events' backfill_policy came before every summary
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROSEG_")}
    done = subprocess.run([sys.executable, "-c",
                           "from orchestration.definitions import build_defs; build_defs()"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "BetaWarning" not in done.stderr and "backfill_policy" not in done.stderr


@pytest.mark.slow
def test_a_broken_contacts_file_blocks_what_reads_contacts_not_events(tmp_path, landing, capsys):
    # Regression: all staging was one dbt step, so one broken contacts file also blocked event staging; the
    # failure's reason was only in a stack trace. The events here also fail their gate (an unknown type).
    from orchestration.pipeline import run_pipeline

    landing.events("2026-10-01", [event("e1"), event("e2"), event("e3", type_="trak")])
    landing.csv("crm/contacts.csv", CONTACT_HEADER.replace("email,", "e_mail,"), [contact_row("c1")])
    outcome = run_pipeline(settings_for(tmp_path, landing.root), AS_OF, instance=dg.DagsterInstance.ephemeral())
    assert not outcome.success
    assert [f["asset"] for f in outcome.failures] == ["raw/contacts"]
    reason = outcome.failures[0]["reason"]
    assert reason.startswith("schema drift: ") and "contacts.csv" in reason and "'email'" in reason
    assert "\n" not in reason
    assert "raw/contacts" not in outcome.not_materialized                # failed, not blocked
    assert {"stg_crm__contacts", "identity/contacts_normalized"} <= set(outcome.not_materialized)
    assert not {"stg_tracking__events", "stg_shop__orders"} & set(outcome.not_materialized)
    # the failed gate is a gate line (with its expectations), not a failure of its own
    assert [(g["name"], g["passed"]) for g in outcome.gates] == [("ge_stg_tracking__events_critical", False)]
    console = capsys.readouterr().err
    assert re.search(r"^\d\d:\d\d:\d\d FAILED raw/contacts: schema drift: .*'email'", console, re.M), console
    assert re.search(r"^\d\d:\d\d:\d\d stg_tracking__events: gate ge_stg_tracking__events_critical FAILED "
                     r"\(expect_column_values_to_be_in_set\(event_type\)\)$", console, re.M), console
    assert "Stack Trace" not in console and "Traceback" not in console and "raw__contacts" not in console


def _clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("MICROSEG_") or name == "DAGSTER_HOME":
            monkeypatch.delenv(name)
    segments = tmp_path / "segments"
    segments.mkdir()
    (segments / "broken.yml").write_text(BROKEN_SEGMENT)
    for key, value in (("SEGMENTS", segments), ("REPORTS", tmp_path / "reports"), ("REVIEW", tmp_path / "review")):
        monkeypatch.setenv(f"MICROSEG_{key}", str(value))


@pytest.mark.slow
def test_run_console_shows_progress_and_a_summary_that_says_why(tmp_path, landing, monkeypatch):
    # Regression: ~470 lines of dbt output, a BetaWarning and an AssetObservation warning came before the summary;
    # a failure's reason was only in a stack trace on stderr; failed assets were listed again as blocked
    from click.testing import CliRunner

    from orchestration.cli import main

    _clean_env(monkeypatch, tmp_path)
    landing.events("2026-10-01", [event("e1", user_id="c1"), event("e2", type_="page"), event("e1", user_id="c1")])
    landing.contacts([contact_row("c1"), contact_row("c2", email="b@example.com")])
    result = CliRunner().invoke(main, ["run", "--landing", str(landing.root), "--warehouse",
                                       str(tmp_path / "wh.duckdb"), "--as-of", AS_OF])
    assert result.exit_code == 1, result.output
    console, summary = result.stderr, result.stdout
    # the console: progress lines, each gate, each failure in one line, no noise
    for noise in ("Running with dbt", "dbt command", "--vars", "BetaWarning", "AssetObservation", "Stack Trace",
                  "Traceback", "Not executing", "segments__broken", "staging_", "raw__", "STEP_"):
        assert noise not in result.output, noise
    assert "stg_crm__contacts: gate ge_stg_crm__contacts_critical passed" in console
    assert re.search(r"^\d\d:\d\d:\d\d FAILED segments/broken: segment file .*broken\.yml is broken: .*"
                     r"unknown operator 'equal' \(did you mean 'equals'\?\)", console, re.M), console
    assert len(console.splitlines()) < 80, console
    # the summary: the failure with its reason, not listed as blocked; tables in data-flow order
    assert summary.startswith("Rows per table (data-flow order):"), summary[:2000]
    lines = summary.splitlines()
    failed = lines.index("Failed (asset: reason):")
    assert lines[failed + 1].startswith("  segments/broken: segment file ") and "did you mean 'equals'?" in \
        lines[failed + 1]
    assert not any(line.startswith("Not materialized") and "segments/broken" in line for line in lines)
    schemas = [line.split()[0].split(".")[0] for line in lines[1:lines.index(next(
        x for x in lines if x.startswith("Quarantined")))] if not line.startswith("    ")]
    assert schemas == sorted(schemas, key=SCHEMAS.index) and {"raw", "quarantine", "staging", "identity"} <= set(
        schemas)
    counts = {line.split()[0]: int(line.split()[-1].replace(",", "")) for line in lines
              if line.startswith("  ") and line.split()[-1].replace(",", "").isdigit()}
    redelivered = next(line for line in lines if line.strip().startswith("redelivered duplicates"))
    assert int(redelivered.split()[-1]) == 1
    assert counts["raw.events"] - 1 == counts["staging.stg_tracking__events"] == 2
    # the load report carries the gates of the load
    report = (tmp_path / "reports" / "load_report.md").read_text()
    assert "PASSED  ge_stg_crm__contacts_critical on stg_crm__contacts" in report
    assert "PASSED  ge_stg_tracking__events_critical on stg_tracking__events" in report
