"""End to end: real generator data, real DuckDB file, real dbt, real GE, real Dagster runs."""

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.constants import AS_OF_TAG
from orchestration.pipeline import LandingError, check_landing, run_pipeline
from tests.helpers.landing import contact_row, event
from tests.helpers.world import AS_OF, settings_for

pytestmark = pytest.mark.slow


def table_checksums(path: Path) -> dict:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables "
                             "where table_schema in ('raw', 'staging', 'quarantine', 'identity', 'intermediate', "
                             "'marts', 'scoring', 'enrichment', 'segments')").fetchall()
        return {f"{s}.{t}": con.execute(
                    f'select count(*), md5(coalesce(string_agg(x::varchar, \'|\' order by x::varchar), \'\')) '
                    f'from "{s}"."{t}" x').fetchall()[0]
                for s, t in tables}


@pytest.fixture
def generated(pipeline_world):
    """(root, stats, settings, instance, outcome) of the session's one pipeline run (tests/conftest.py), shared:
    tests that rerun or change it take `pipeline_world_copy`, a private copy, instead."""
    return pipeline_world


def test_pipeline_runs_and_gates_pass(generated):
    _, _, settings, _, outcome = generated
    assert outcome.success, outcome
    assert {(g["name"], g["passed"]) for g in outcome.gates} == {
        ("ge_stg_tracking__events_critical", True), ("ge_stg_crm__contacts_critical", True),
        ("ge_profiles_cleaned_critical", True), ("ge_profiles_enriched_critical", True),
        ("ge_segment_activation", True)}
    assert sum(g["name"] == "ge_segment_activation" for g in outcome.gates) == len(
        list((Path(__file__).resolve().parents[1] / "segments").glob("*.yml")))
    report = json.loads((settings.reports / "load_report.json").read_text())
    assert report["as_of"] == AS_OF
    assert (settings.data_docs_dir / "index.html").exists()


def test_pipeline_reconciles_with_generator_manifest(generated):
    _, stats, settings, _, _ = generated
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        q = lambda sql: con.execute(sql).fetchall()[0][0]  # noqa: E731
        # the generator writes erasure requests: the run removed those persons' rows after loading them
        erased = dict(con.execute("select location, sum(rows) from erasure.removals where kind = 'table' "
                                  "group by 1").fetchall())
        assert erased.get("raw.contacts", 0) > 0
        gone = lambda table: erased.get(table, 0)  # noqa: E731
        assert q("select count(*) from raw.events") == stats.valid_events + stats.redelivered - gone("raw.events")
        assert q("select count(*) from staging.stg_tracking__events") == \
            stats.valid_events - gone("staging.stg_tracking__events")
        quarantined = dict(con.execute("select reason, count(*) from quarantine.events group by 1").fetchall())
        if not gone("quarantine.events"):
            assert quarantined == {k: v for k, v in stats.quarantine.items() if v}
        # the first delivery wins: earliest received day, then file, then line
        assert q("""select count(*) from staging.stg_tracking__events s
                    join (select message_id, min(received_date) as first_day from raw.events group by 1) r
                    using (message_id) where s.received_date <> r.first_day""") == 0
        assert q("select count(*) from staging.stg_crm__contacts") == stats.contacts - gone("raw.contacts")
        assert q("select count(*) from staging.stg_shop__orders") == stats.orders - gone("raw.orders")
        unattributed = q("select count(*) from staging.stg_shop__orders where is_unattributed")
        assert stats.unattributed_orders - gone("raw.orders") <= unattributed <= stats.unattributed_orders
        assert q("select count(*) from staging.stg_tracking__events where is_late_arrival") >= \
            stats.late - gone("staging.stg_tracking__events")
        # nothing lost: every line read is kept, quarantined, a counted redelivery, or an erased person's
        assert stats.event_lines == q("select count(*) from raw.events") + q("select count(*) from quarantine.events") \
            + gone("raw.events") + gone("quarantine.events")


def test_every_materialization_records_the_runs_as_of(generated):
    _, _, _, instance, outcome = generated
    for run_id in outcome.runs:
        assert instance.get_run_by_id(run_id).tags[AS_OF_TAG] == AS_OF
    for key in (["raw", "events"], ["raw", "contacts"], ["load_report"]):
        mat = instance.get_latest_materialization_event(dg.AssetKey(key)).asset_materialization
        assert mat.metadata["as_of"].value == AS_OF
    events = instance.get_latest_materialization_event(dg.AssetKey(["raw", "events"])).asset_materialization
    md = {k: v.value for k, v in events.metadata.items()}
    assert md["lines_read"] == md["kept"] + md["quarantined"] + md["redelivered_duplicates"]


# a second run on the same inputs changes no table: tests/operations/test_runs_on_one_warehouse.py (two runs
# started together end equal to one uninterrupted run)


def test_partition_rerun_touches_only_its_day(pipeline_world_copy):
    from orchestration.definitions import build_defs

    root, _, settings, instance, _ = pipeline_world_copy
    days = sorted(p.name for p in (settings.landing / "events").iterdir())
    target, other = days[1], days[2]
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        other_rows = con.execute(f"select * from raw.events where received_date = '{other}' "
                                 "order by source_file, line_no").fetchall()
        target_count = con.execute(f"select count(*) from raw.events where received_date = '{target}'").fetchall()[0][0]
    (settings.landing / "events" / target / "redelivery.jsonl").write_text(
        json.dumps(event("brand-new-message", timestamp=f"{target}T12:00:00Z")) + "\n")
    result = build_defs(settings).resolve_job_def("ingest_events_job").execute_in_process(
        instance=instance, partition_key=target, tags={AS_OF_TAG: AS_OF})
    assert result.success
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute(f"select * from raw.events where received_date = '{other}' "
                           "order by source_file, line_no").fetchall() == other_rows
        assert con.execute(f"select count(*) from raw.events where received_date = '{target}'"
                           ).fetchall()[0][0] == target_count + 1


def test_failing_gate_blocks_downstream_in_the_same_run(tmp_path, landing):
    landing.events("2026-10-01", [event("ok-1"), event("ok-2", type_="page"),
                                  event("bogus", type_="trak")])      # a type the contract does not know
    landing.contacts([contact_row("c1"), contact_row("c2", email="b@example.com")])
    settings = settings_for(tmp_path, landing.root)
    instance = dg.DagsterInstance.ephemeral()
    outcome = run_pipeline(settings, AS_OF, instance=instance)
    assert not outcome.success
    gates = {g["name"]: g for g in outcome.gates}
    assert gates["ge_stg_tracking__events_critical"]["passed"] is False
    assert "expect_column_values_to_be_in_set(event_type)" in gates["ge_stg_tracking__events_critical"]["detail"]
    assert gates["ge_stg_crm__contacts_critical"]["passed"] is True
    # everything that reads events is blocked; what does not (contact normalization) still ran
    assert {"load_report", "identity/identity_map", "profiles_cleaned"} <= set(outcome.not_materialized)
    assert "identity/contacts_normalized" not in outcome.not_materialized
    assert instance.get_latest_materialization_event(dg.AssetKey(["load_report"])) is None
    assert not (settings.reports / "load_report.json").exists()
    # the GE result is attached to the check's metadata
    failed = outcome.gate_metadata["ge_stg_tracking__events_critical"]["failed_expectations"]
    assert [(f["expectation"], f["column"], f["unexpected_count"]) for f in failed] == [
        ("expect_column_values_to_be_in_set", "event_type", 1)]


def test_missing_and_empty_landing_folders_are_clear_errors(tmp_path):
    with pytest.raises(LandingError, match="does not exist"):
        check_landing(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LandingError, match="holds no input"):
        check_landing(tmp_path / "empty")


def test_a_missing_segment_folder_is_one_line_and_exit_2(tmp_path, landing):
    from click.testing import CliRunner

    from orchestration.cli import main

    landing.events("2026-11-01", [event("m1", "2026-11-01T10:00:00Z")])
    env = {"MICROSEG_SEGMENTS": str(tmp_path / "no_segments"), "MICROSEG_AS_OF": "2026-11-02T00:00:00Z"}
    result = CliRunner().invoke(main, ["run", "--landing", str(landing.root), "--warehouse",
                                       str(tmp_path / "w.duckdb")], env=env)
    assert result.exit_code == 2, result.output
    assert f"error: segment folder {tmp_path / 'no_segments'} does not exist" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "w.duckdb").exists()


def test_identity_resolution_matches_the_generator_truth(generated):
    root, stats, settings, _, _ = generated
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        q = lambda sql: con.execute(sql).fetchall()[0][0]  # noqa: E731
        # every contact record but those of the persons the generator's erasure requests named
        contacts = stats.contacts - q("select coalesce(sum(rows), 0) from erasure.removals "
                                      "where location = 'raw.contacts'")
        assert q("select count(*) from identity.identity_map where id_type = 'contact_id'") == contacts
        assert q("select count(distinct id_value) from identity.identity_map where id_type = 'contact_id'") \
            == contacts
        assert q("select count(*) from marts.profiles_cleaned") == \
            q("select count(distinct person_id) from identity.identity_map")
        # every event is attributed to a person (anonymous history included)
        assert q("select count(*) from intermediate.int_events__attributed where person_id is null") == 0
        assert q("select count(*) from identity.validation_report") > 0     # the generator's mess is reported
        con.execute(f"create temp table truth as select * from read_csv('{root}/landing/ground_truth/contacts.csv')")
        tp, predicted, true = con.execute("""
            with m as (select id_value as contact_id, person_id from identity.identity_map where id_type = 'contact_id'),
            j as (select m.person_id as p, t.person_id as t from m join truth t using (contact_id))
            select (select sum(n * (n - 1) / 2) from (select count(*) n from j group by p, t)),
                   (select sum(n * (n - 1) / 2) from (select count(*) n from j group by p)),
                   (select sum(n * (n - 1) / 2) from (select count(*) n from j group by t))""").fetchall()[0]
    precision, recall = tp / predicted, tp / true
    assert 2 * precision * recall / (precision + recall) >= 0.85, (precision, recall)
    queue = settings.review / "queue.csv"
    assert queue.exists() and queue.read_text().startswith("left_id,right_id,probability")


def test_review_decision_splits_a_merge_on_the_next_run_and_is_kept(pipeline_world_copy):
    root, _, settings, instance, _ = pipeline_world_copy
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        a, b = con.execute("select left_id, right_id from identity.match_pairs where probability >= 0.95 "
                           "order by probability desc, left_id limit 1").fetchall()[0]
        persons = dict(con.execute("select id_value, person_id from identity.identity_map "
                                   "where id_type = 'contact_id'").fetchall())
    assert persons[a] == persons[b]
    settings.review.mkdir(parents=True, exist_ok=True)
    (settings.review / "decisions.csv").write_text(f"left_id,right_id,decision,reviewer\n{b},{a},separate,qa\n")
    assert run_pipeline(settings, AS_OF, instance=instance).success
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        after = dict(con.execute("select id_value, person_id from identity.identity_map "
                                 "where id_type = 'contact_id'").fetchall())
        ledger = con.execute("select decision from identity.merge_ledger where left_id = ? and right_id = ? "
                             "order by seq", [a, b]).fetchall()
        ledger_size = con.execute("select count(*) from identity.merge_ledger").fetchall()[0][0]
    assert after[a] != after[b]
    assert ledger[-1] == ("review_separate",) and ("merge",) in ledger
    # person ids of everyone else are stable
    moved = {k for k in persons if persons[k] != after[k]}
    assert moved <= {k for k in persons if persons[k] == persons[a]}
    # the decision is stored: the file can go, the split stays, and nothing new enters the ledger
    (settings.review / "decisions.csv").unlink()
    assert run_pipeline(settings, AS_OF, instance=instance).success
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        again = dict(con.execute("select id_value, person_id from identity.identity_map "
                                 "where id_type = 'contact_id'").fetchall())
        assert con.execute("select count(*) from identity.merge_ledger").fetchall()[0][0] == ledger_size
    assert again == after


def test_segments_record_membership_and_report_sizes(generated):
    _, _, settings, instance, _ = generated
    mat = instance.get_latest_materialization_event(dg.AssetKey(["segments", "highly_engaged"])).asset_materialization
    md = {k: v.value for k, v in mat.metadata.items()}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        members = con.execute("select count(*) from segments.segment_membership where segment = 'highly_engaged' "
                              "and as_of = ?", [AS_OF.replace("Z", "")]).fetchall()[0][0]
        tier = con.execute("select count(*) from scoring.behavior_scores where tier = 'highly_engaged'").fetchall()[0][0]
        open_stays = con.execute("select count(*) from segments.segment_history where segment = 'highly_engaged' "
                                 "and exited_at is null").fetchall()[0][0]
    assert md["total_size"] == members == tier == open_stays > 0
    assert 0 <= md["reachable_size"] <= md["total_size"]
    assert "select person_id" in md["compiled_sql"] and md["as_of"] == AS_OF


SEGMENT_VIEWERS = "name: viewers\ndescription: Viewed a product in the last 30 days.\nrules:\n" \
                  "  performed: Product Viewed\n  within: 30d\n"


def test_broken_segment_file_fails_only_its_own_asset_and_the_gate_blocks_a_collapse(pipeline_world_copy, tmp_path):
    from orchestration.assets.segments import build_segment_assets
    from orchestration.resources import build_resources

    _, _, settings, instance, _ = pipeline_world_copy
    folder = tmp_path / "segments"
    folder.mkdir()
    (folder / "viewers.yml").write_text(SEGMENT_VIEWERS)
    (folder / "broken.yml").write_text("name: broken\nrules:\n  performed: Product Viewed\n  within: 3 days\n")
    assets, checks = build_segment_assets(folder)          # loads: the broken file is only its own asset
    resources = build_resources(settings)
    result = dg.materialize([*assets, *checks], resources=resources, instance=instance, raise_on_error=False,
                            tags={AS_OF_TAG: AS_OF})
    done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert done == {"segments/viewers"}
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "broken.yml: rules.within" in str(failure.event_specific_data.error)
    gate = {e.asset_key.to_user_string(): e.passed for e in result.get_asset_check_evaluations()}
    assert gate == {"segments/viewers": True}
    # sixty days later nobody viewed anything: the segment collapsed, so the gate blocks it
    later = dg.materialize([a for a in assets if a.key.path[-1] == "viewers"] + checks[:0] + [
        c for c in checks if "viewers" in str(c.check_keys)], resources=resources, instance=instance,
        raise_on_error=False, tags={AS_OF_TAG: "2027-01-01T00:00:00Z"})
    evaluation = later.get_asset_check_evaluations()[0]
    assert evaluation.passed is False
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        exited = con.execute("select count(*) from segments.segment_history where segment = 'viewers' "
                             "and exited_at = '2027-01-01'").fetchall()[0][0]
    assert exited > 0


def test_segments_cli_preview_members_and_diff_on_the_warehouse(generated, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from orchestration.cli import main

    _, _, settings, _, _ = generated
    monkeypatch.setenv("MICROSEG_WAREHOUSE", str(settings.warehouse))
    run = lambda *args: CliRunner().invoke(main, ["segments", *args, "--as-of", AS_OF])  # noqa: E731
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        expected = {r[0] for r in con.execute("select person_id from scoring.behavior_scores "
                                              "where tier = 'highly_engaged'").fetchall()}
        reachable = con.execute("select count(*) from segments.seg_profiles p join scoring.behavior_scores s "
                                "using (person_id) where s.tier = 'highly_engaged' and p.is_reachable"
                                ).fetchall()[0][0]
    preview = run("preview", "highly_engaged")
    assert preview.exit_code == 0, preview.output
    assert f"{len(expected):,} members, {reachable:,} reachable" in preview.output
    assert "@" not in preview.output                     # no personal data in a preview
    members = run("members", "highly_engaged", "--format", "csv")
    assert members.exit_code == 0, members.output
    lines = members.output.strip().splitlines()
    assert lines[0] == "person_id,email,contact_ids,user_ids,is_reachable"
    assert {line.split(",")[0] for line in lines[1:]} == expected
    as_json = run("members", "highly_engaged", "--format", "json")
    assert {row["person_id"] for row in json.loads(as_json.output)} == expected
    # a rule change reviewed like a pull request: what the old definition had that the new one drops
    old = tmp_path / "old.yml"
    old.write_text((Path(__file__).resolve().parents[1] / "segments" / "highly_engaged.yml").read_text())
    same = run("diff", "highly_engaged", "--against", str(old))
    assert same.exit_code == 0 and "+ 0 added" in same.output and "- 0 removed" in same.output
    wider = tmp_path / "wider.yml"
    wider.write_text("name: highly_engaged\nrules:\n  score: tier\n  in: [highly_engaged, potential_buyer]\n")
    changed = run("diff", "highly_engaged", "--against", str(wider))
    assert changed.exit_code == 0, changed.output
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        potential = con.execute("select count(*) from scoring.behavior_scores where tier = 'potential_buyer'"
                                ).fetchall()[0][0]
    assert f"- {potential:,} removed" in changed.output
    missing = run("preview", "no_such_segment")
    assert missing.exit_code == 2 and "unknown segment" in missing.output


def _truth_persons(con, root: Path) -> None:
    """temp table truth_of(person_id, truth_id, gender, birth_date, city, country): our person -> the
    generator's person most of its contact records belong to."""
    con.execute(f"create or replace temp table gt_contacts as select * from read_csv('{root}/landing/ground_truth/contacts.csv')")
    con.execute(f"create or replace temp table gt_persons as select * from read_csv('{root}/landing/ground_truth/persons.csv')")
    con.execute("""
        create or replace temp table truth_of as
        with m as (select id_value as contact_id, person_id from identity.identity_map where id_type = 'contact_id'),
        votes as (select m.person_id, t.person_id as truth_id, count(*) n from m join gt_contacts t using (contact_id)
                  group by m.person_id, t.person_id
                  qualify row_number() over (partition by m.person_id order by n desc, truth_id) = 1)
        select votes.person_id, votes.truth_id, p.gender, p.birth_date, p.city, p.country
        from votes join gt_persons p on p.person_id = votes.truth_id""")


def test_enrichment_declared_wins_and_every_value_has_provenance(generated):
    _, _, settings, _, outcome = generated
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        q = lambda sql: con.execute(sql).fetchall()[0][0]  # noqa: E731
        assert q("select count(*) from enrichment.profiles_enriched") == q("select count(*) from marts.profiles_cleaned")
        # a declared value is never overridden
        assert q("""select count(*) from marts.profiles_cleaned c join enrichment.profiles_enriched e using (person_id)
                    where c.gender is not null and (e.gender is distinct from c.gender
                                                    or e.gender__provenance <> 'declared')""") == 0
        assert q("""select count(*) from marts.profiles_cleaned c join enrichment.profiles_enriched e using (person_id)
                    where c.city is not null and (e.city is distinct from c.city or e.city__provenance <> 'declared')""") == 0
        # derived genders fill gaps, from reference data (first name) before the model
        provenances = dict(con.execute("select gender__provenance, count(*) from enrichment.profiles_enriched "
                                       "group by 1").fetchall())
        assert provenances["declared"] > 0 and provenances.get("reference", 0) + provenances.get("inferred", 0) > 0
        # inferred values only where nothing was declared, never below the threshold
        assert q("""select count(*) from enrichment.inferred_attributes i join enrichment.enrichment_labels l
                    using (person_id) where (i.attribute = 'gender' and l.gender is not null)
                                         or (i.attribute = 'age_band' and l.age_band is not null)""") == 0
        assert q("select min(confidence) from enrichment.inferred_attributes") >= settings.inference_min_confidence
        # the generator's erasure requests were applied: those persons have left the profiles altogether
        # (tests/erasure/test_end_to_end.py scans every relation and file for what remains of one)
        assert q("select count(*) from erasure.requests where status = 'erased'") > 0
        assert q("select count(*) from erasure.requests where status = 'pending'") == 0
        assert q("select count(*) from marts.profiles_cleaned where is_erased") == 0
        assert q("""select count(*) from enrichment.profiles_enriched e
                    where not exists (select 1 from marts.profiles_cleaned c where c.person_id = e.person_id)""") == 0
        assert q("select count(*) from segments.seg_profiles where gender__provenance = 'inferred'") == \
            provenances.get("inferred", 0)
    metadata = outcome.gate_metadata["ge_profiles_enriched_critical"]
    assert metadata["coverage_by_attribute"]["gender"]["declared"] == provenances["declared"]


def test_enrichment_agrees_with_the_generator_truth(generated):
    root, _, settings, instance, _ = generated
    from orchestration.lib.sample_data import CITIES, CITY_URBAN
    urban = {(c[0], c[1]): u for c, u in zip(CITIES, CITY_URBAN)}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        _truth_persons(con, root)
        rows = con.execute("""select t.city, t.country, e.city_type from enrichment.profiles_enriched e
                              join truth_of t using (person_id)
                              where e.city_type is not null and e.city__provenance = 'declared'""").fetchall()
        # reference city classes: urban exactly where the generator's city has >= 100k people
        assert len(rows) > 100
        agree = sum((city_type == "urban") == urban[(city, country)] for city, country, city_type in rows
                    if (city, country) in urban)
        assert agree / len(rows) >= 0.95, agree / len(rows)
        n, right = con.execute("""select count(*), count(*) filter (where e.gender = t.gender)
                                  from enrichment.profiles_enriched e join truth_of t using (person_id)
                                  where e.gender__provenance = 'reference'""").fetchall()[0]
        assert n >= 10 and right / n >= 0.85, (right, n)     # first names -> gender
    # the model: trained on declared persons, better than always guessing the majority class
    event = instance.get_latest_materialization_event(dg.AssetKey(["enrichment", "inferred_attributes"]))
    gender = event.asset_materialization.metadata["reports"].value["gender"]
    assert gender["trained"] and gender["n_holdout"] >= 30
    assert gender["holdout_accuracy"] > gender["baseline_accuracy"], gender
    assert 0 <= gender["expected_calibration_error"] <= 1


def test_enrichment_coverage_is_recorded_once_per_as_of(generated):
    _, _, settings, instance, _ = generated
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.execute("select as_of, attribute, coverage from enrichment.coverage_history").fetchall()
    assert {r[0].isoformat() for r in rows} == {"2026-11-01T00:00:00"}
    assert len(rows) == len({r[1] for r in rows}) and all(0 <= r[2] <= 1 for r in rows)


def test_segment_rules_filter_enriched_values_by_provenance_and_confidence(generated):
    _, _, settings, _, _ = generated
    from orchestration.lib.segments.dsl import (
        Schema,
        compile_segment,
        validate_segments,
    )
    from orchestration.lib.segments.tools import SCHEMA

    def members(con, rules):
        schema = Schema.from_connection(con, SCHEMA)
        (result,) = validate_segments({"t.yml": {"name": "t", "rules": rules}}, schema)
        assert not result.errors, result.errors
        return set(compile_segment("t", {"t": result.segment}, schema).members(con, AS_OF))

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        count = lambda where: set(r[0] for r in con.execute(  # noqa: E731
            f"select person_id from segments.seg_profiles where {where}").fetchall())
        anyone = members(con, {"attribute": "gender", "equals": "female"})
        declared = members(con, {"attribute": "gender", "equals": "female", "provenance": ["declared"]})
        confident = members(con, {"attribute": "gender", "equals": "female", "min_confidence": 0.9})
        urban = members(con, {"attribute": "city_type", "equals": "urban", "provenance": ["reference"]})
        assert anyone == count("gender = 'female'")
        assert declared == count("gender = 'female' and gender__provenance = 'declared'") and declared < anyone
        assert confident == count("gender = 'female' and gender__confidence >= 0.9") and declared <= confident
        assert urban == count("city_type = 'urban'") and urban
