"""Erasure end to end, with real Dagster runs of the whole pipeline on a copy of the session's world.

A person who has two CRM records with different addresses (merged by identity resolution), events as a known
user and from a device, and orders, asks to be forgotten through the suppression list. After the run that sees
the request, a scan of every table and view of the warehouse, of every file under the reports and review
folders and of the Dagster instance's storage finds none of their addresses, phones or their name. The same
landing folder run again (plus a new day redelivering one of their events and a new event from their device)
still finds nothing, and the reconciliation counts the dropped rows as `erased`.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from click.testing import CliRunner

from orchestration.constants import RECEIVED_DAYS
from orchestration.lib.erasure import ErasureRequest
from orchestration.lib.ingest import event_days
from tests.helpers.world import AS_OF, copy_pipeline_world

NEW_DAY = "2026-11-01"


def _relations(con) -> list[tuple[str, str]]:
    return con.execute("select table_schema, table_name from information_schema.tables "
                       "where table_catalog = current_database() order by 1, 2").fetchall()


def warehouse_hits(path: Path, values: set[str], name: tuple[str, str]) -> list[str]:
    """`schema.table: value` for every relation (tables and views) with a row holding a value (or the first and
    the last name together), compared case-insensitively on the row's text."""
    hits = []
    with duckdb.connect(str(path), read_only=True) as con:
        for schema, table in _relations(con):
            row = 'lower(cast(t as varchar))'
            relation = f'"{schema}"."{table}" as t'
            for value in sorted(values):
                n = con.execute(f"select count(*) from {relation} where contains({row}, ?)", [value.lower()]).fetchall()[0][0]
                if n:
                    hits.append(f"{schema}.{table}: {value} ({n} rows)")
            n = con.execute(f"select count(*) from {relation} where contains({row}, ?) and contains({row}, ?)",
                            [name[0].lower(), name[1].lower()]).fetchall()[0][0]
            if n:
                hits.append(f"{schema}.{table}: {' '.join(name)} ({n} rows)")
    return hits


def file_hits(roots: list[Path], values: set[str], name: tuple[str, str]) -> list[str]:
    """`file: value` for every file under `roots` holding a value, or a line with the first and last name."""
    hits = []
    first, last = (n.lower().encode() for n in name)
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            data = path.read_bytes().lower()
            hits += [f"{path}: {v}" for v in sorted(values) if v.lower().encode() in data]
            if any(first in line and last in line for line in data.splitlines()):
                hits.append(f"{path}: {' '.join(name)}")
    return hits


def pick_person(warehouse: Path) -> dict:
    """A CRM person with two records holding different addresses, a userId, a device, an order and a phone,
    whose name no other contact shares."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("""
            with contacts as (
                select trim(contact_id) as contact_id, lower(trim(email)) as email, trim(phone) as phone,
                       trim(first_name) as first_name, trim(last_name) as last_name from raw.contacts
            ),
            persons as (
                select p.person_id, p.contact_ids, p.user_ids, p.anonymous_ids,
                       list(distinct c.email) filter (where c.email <> '') as emails,
                       list(distinct c.phone) filter (where c.phone <> '') as phones,
                       min(c.first_name) as first_name, min(c.last_name) as last_name
                from marts.profiles_cleaned p join contacts c on list_contains(p.contact_ids, c.contact_id)
                where p.contact_count = 2 and len(p.user_ids) > 0 and len(p.anonymous_ids) > 0 and not p.is_suppressed
                group by all
            )
            select p.*, pe.phone_e164 from persons p join marts.profiles_cleaned pe using (person_id)
            where len(p.emails) = 2 and len(p.phones) > 0 and pe.phone_e164 is not null
              and exists (select 1 from raw.orders o where list_contains(p.contact_ids, trim(o.contact_id)))
              and (select count(*) from contacts c where lower(c.first_name) = lower(p.first_name)
                   and lower(c.last_name) = lower(p.last_name) and not list_contains(p.contact_ids, c.contact_id)) = 0
            order by p.person_id limit 1""").df()
    assert len(rows), "the session's world has no person with merged records of two addresses"
    return rows.iloc[0].to_dict()


@pytest.fixture(scope="module")
def erased_world(pipeline_world, tmp_path_factory):
    """The world copy after a run with the erasure request, then after a second run of the same landing folder
    (plus a new day): the person, the hits after each run, and the second run's instance."""
    from orchestration.pipeline import run_pipeline, warehouse_instance

    world = copy_pipeline_world(pipeline_world, tmp_path_factory.mktemp("erasure") / "world")
    settings = world.settings
    person = pick_person(settings.warehouse)
    first_email = person["emails"][0]
    with open(settings.landing / "suppression" / "suppression.csv", "a", encoding="utf-8") as f:
        f.write(f"  {first_email.upper()} ,erasure,2026-10-30T10:00:00Z\n")   # as an ESP might write it
    instance = warehouse_instance(settings)                                   # on disk, to scan its storage
    instance.add_dynamic_partitions(RECEIVED_DAYS, sorted(event_days(settings.landing)))
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        person["events"] = con.execute(
            "select count(*) from raw.events where user_id in (select unnest($u)) or anonymous_id in (select unnest($a))",
            {"u": list(person["user_ids"]), "a": list(person["anonymous_ids"])}).fetchall()[0][0]
        person["orders"] = con.execute("select count(*) from raw.orders where trim(contact_id) in (select unnest($c))",
                                       {"c": list(person["contact_ids"])}).fetchall()[0][0]
        redelivered = con.execute("select source_file, line_no from raw.events where user_id = ? limit 1",
                                  [person["user_ids"][0]]).fetchall()[0]
    profiles = "select count(*) from marts.profiles_cleaned"
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        profiles_before = con.execute(profiles).fetchall()[0][0]
    first = run_pipeline(settings, AS_OF, instance=instance)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        profiles_after = con.execute(profiles).fetchall()[0][0]
    values = {*person["emails"], *person["phones"], person["phone_e164"], person["phone_e164"].lstrip("+")}
    name = (person["first_name"], person["last_name"])
    roots = [settings.reports, settings.review, settings.warehouse.with_suffix(".dagster")]
    after_first = warehouse_hits(settings.warehouse, values, name) + file_hits(roots, values, name)

    # the same landing folder again, plus a day that redelivers one of their lines and a new event of their device
    source, line_no = redelivered
    raw_line = (settings.landing / source).read_text(encoding="utf-8").splitlines()[line_no - 1] \
        if not source.endswith(".gz") else None
    day = settings.landing / "events" / NEW_DAY
    day.mkdir()
    device_event = {"messageId": "erasure-device-1", "type": "page", "name": "Home", "anonymousId":
                    person["anonymous_ids"][0], "timestamp": "2026-11-01T08:00:00Z"}
    other_event = {"messageId": "erasure-other-1", "type": "page", "name": "Home", "anonymousId": "someone-else",
                   "timestamp": "2026-11-01T08:00:00Z"}
    lines = [json.dumps(device_event), json.dumps(other_event)] + ([raw_line] if raw_line else [])
    (day / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    second = run_pipeline(settings, "2026-11-02T00:00:00Z", instance=instance)
    after_second = warehouse_hits(settings.warehouse, values, name) + file_hits(roots, values, name)
    person["request_id"] = ErasureRequest.from_address(first_email, None, "test").request_id
    return {"settings": settings, "person": person, "first": first, "second": second, "instance": instance,
            "after_first": after_first, "profiles_before": profiles_before, "profiles_after": profiles_after, "after_second": after_second, "new_day_erased": 1 + bool(raw_line)}


def test_nothing_of_the_person_is_left_after_the_run_that_sees_the_request(erased_world):
    assert erased_world["first"].success, erased_world["first"].failures
    assert erased_world["after_first"] == []
    request = erased_world["person"]["request_id"]
    with duckdb.connect(str(erased_world["settings"].warehouse), read_only=True) as con:
        status = con.execute("select status, persons from erasure.requests where request_id = ?", [request]).fetchall()
        kinds = dict(con.execute("select key_type, count(*) from erasure.tombstones where request_id = ? group by 1",
                                 [request]).fetchall())
        hashes = con.execute("select bool_and(regexp_full_match(key_sha256, '[0-9a-f]{64}')) "
                             "from erasure.tombstones").fetchall()[0][0]
        # the world's own erasure rows (the generator writes some) were applied by the same run
        pending = con.execute("select count(*) from erasure.requests where status = 'pending'").fetchall()[0][0]
    assert status == [("erased", 1)] and pending == 0
    # both records' addresses, both contact ids (and any form an export wrote them in), devices, orders
    assert kinds["email"] >= 2 and kinds["contact_id"] >= 2 and kinds["anonymous_id"] >= 1 and kinds["order_id"] >= 1
    assert hashes
    # only they were erased: every other profile is still there (the world's own erasures were gone already)
    assert erased_world["profiles_after"] == erased_world["profiles_before"] - 1


def test_the_same_landing_folder_again_brings_nothing_back_and_reconciles(erased_world):
    second, person, instance = erased_world["second"], erased_world["person"], erased_world["instance"]
    assert second.success, second.failures
    assert erased_world["after_second"] == []
    with duckdb.connect(str(erased_world["settings"].warehouse), read_only=True) as con:
        dropped = dict(con.execute("select dataset, sum(rows) from erasure.dropped_at_ingest group by 1").fetchall())
        device_profiles = con.execute("select count(*) from marts.profiles_cleaned where list_contains(anonymous_ids, ?)",
                                      [person["anonymous_ids"][0]]).fetchall()[0][0]
        other = con.execute("select count(*) from raw.events where anonymous_id = 'someone-else'").fetchall()[0][0]
    # whatever the first run purged from the raw tables (for every request), this load dropped at ingest
    purged = {}
    for path in (erased_world["settings"].reports / "erasure").glob("er-*.json"):
        for table, n in json.loads(path.read_text())["tables"].items():
            purged[table] = purged.get(table, 0) + n
    assert dropped["contacts"] == purged["raw.contacts"] and dropped["orders"] == purged["raw.orders"] >= person["orders"]
    assert dropped["order_items"] == purged["raw.order_items"]
    assert dropped["events"] == erased_world["new_day_erased"]
    assert device_profiles == 0 and other == 1          # their device is detached; everyone else is loaded
    for key, erased in ((["raw", "contacts"], purged["raw.contacts"]), (["raw", "events"], erased_world["new_day_erased"])):
        meta = instance.get_latest_materialization_event(dg.AssetKey(key)).asset_materialization.metadata
        assert meta["erased"].value == erased and meta["reconciles"].value is True, key


def test_the_erasure_report_says_what_was_removed_and_what_remains(erased_world):
    path = erased_world["settings"].reports / "erasure" / f"{erased_world['person']['request_id']}.json"
    report = json.loads(path.read_text())
    assert report["status"] == "erased" and report["persons"] == 1
    assert report["tables"]["raw.contacts"] == 2 and report["tables"]["raw.events"] >= erased_world["person"]["events"] > 0
    assert {"identity.contacts_normalized", "identity.identity_map", "marts.profiles_cleaned"} <= set(report["tables"])
    assert "crm/contacts.csv" in report["landing"] and len(report["landing"]["crm/contacts.csv"]) == 2
    text = path.with_suffix(".md").read_text()
    assert "Not reachable by microseg" in text and report["request_id"] in text


def test_a_request_for_an_address_nobody_has_changes_nothing_else(pipeline_world, tmp_path, monkeypatch):
    from orchestration.cli.main import main

    world = copy_pipeline_world(pipeline_world, tmp_path / "world")
    monkeypatch.setenv("MICROSEG_REPORTS", str(world.settings.reports))
    monkeypatch.setenv("MICROSEG_REVIEW", str(world.settings.review))

    def counts():
        with duckdb.connect(str(world.settings.warehouse), read_only=True) as con:
            return {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchall()[0][0]
                    for s, t in _relations(con) if s not in ("erasure", "journal")}   # forget is a journaled run

    before = counts()
    result = CliRunner().invoke(main, ["forget", "--email", "nobody.at.all@example.org", "--now",
                                       "--warehouse", str(world.settings.warehouse)])
    assert result.exit_code == 0, result.output
    assert "nobody.at.all" not in result.output and "not_found" in result.output
    assert counts() == before
    report = json.loads(next((world.settings.reports / "erasure").glob("er-*.json")).read_text())
    assert report["status"] == "not_found" and report["tables"] == {} and report["tombstones"] == {"email": 1}
