"""Late folders are loaded: every day present and not yet loaded, whatever the order of discovery (real runs)."""

import dagster as dg
import duckdb
import pytest

from orchestration.definitions import build_defs
from orchestration.pipeline import RunOutcome, ingest_received_days
from tests.helpers.landing import event
from tests.helpers.world import AS_OF, settings_for

pytestmark = pytest.mark.slow


def ingest(settings, instance):
    outcome = RunOutcome(as_of=AS_OF, success=True)
    days = ingest_received_days(build_defs(settings), settings, instance, {"microseg/as_of": AS_OF}, outcome)
    assert outcome.success, outcome
    return days


def loaded_days(settings) -> dict[str, int]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return dict(con.execute("select strftime(received_date, '%Y-%m-%d'), count(*) from raw.events "
                                "group by all order by 1").fetchall())


def test_an_older_folder_added_later_and_a_day_between_are_loaded(landing, tmp_path):
    # Regression: after events/2026-10-30 was loaded, a later events/2026-10-29 was silently not ingested
    landing.events("2026-10-28", [event("a")])
    landing.events("2026-10-30", [event("b"), event("c")])
    settings, instance = settings_for(tmp_path, landing.root), dg.DagsterInstance.ephemeral()
    assert ingest(settings, instance) == ["2026-10-28", "2026-10-30"]
    landing.events("2026-10-27", [event("late")])
    landing.events("2026-10-29", [event("between")])
    assert ingest(settings, instance) == ["2026-10-27", "2026-10-29"]
    assert loaded_days(settings) == {"2026-10-27": 1, "2026-10-28": 1, "2026-10-29": 1, "2026-10-30": 2}
    assert ingest(settings, instance) == []          # nothing new: no run at all


def test_a_new_warehouse_on_an_instance_that_knows_other_days_loads_everything(landing, tmp_path):
    # Regression: a second landing folder whose days interleaved with an earlier folder's loaded nothing
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("received_days", ["2026-10-05", "2026-10-01", "2026-10-09"])
    for day in ("2026-10-02", "2026-10-05", "2026-10-08"):
        landing.events(day, [event(f"m-{day}")])
    settings = settings_for(tmp_path / "other", landing.root)
    assert ingest(settings, instance) == ["2026-10-02", "2026-10-05", "2026-10-08"]
    assert loaded_days(settings) == {"2026-10-02": 1, "2026-10-05": 1, "2026-10-08": 1}


def test_two_warehouses_keep_their_own_instances(tmp_path, landing, monkeypatch):
    # Regression: every warehouse shared one .dagster_home, so the UI showed another warehouse's runs and counts
    from orchestration.pipeline import warehouse_instance
    from tests.helpers.landing import Landing

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("MICROSEG_DAGSTER_HOME", raising=False)
    landing.events("2026-10-01", [event("a1"), event("a2")])
    other = Landing(tmp_path / "other_landing")
    other.events("2026-10-02", [event("b1")])
    first, second = settings_for(tmp_path / "first", landing.root), settings_for(tmp_path / "second", other.root)
    ingest(first, warehouse_instance(first))
    ingest(second, warehouse_instance(second))
    seen_by_first = warehouse_instance(first)
    assert seen_by_first.get_dynamic_partitions("received_days") == ["2026-10-01"]
    mat = seen_by_first.get_latest_materialization_event(dg.AssetKey(["raw", "events"])).asset_materialization
    assert mat.metadata["warehouse"].value == str(first.warehouse) and mat.metadata["kept"].value == 2
    assert warehouse_instance(second).get_dynamic_partitions("received_days") == ["2026-10-02"]
    assert (tmp_path / "first" / "wh.dagster").is_dir() and (tmp_path / "second" / "wh.dagster").is_dir()
