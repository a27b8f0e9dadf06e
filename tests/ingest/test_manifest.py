"""Which received days a run loads: new or changed files only, whatever the order days were discovered in."""

import os

import duckdb
import pytest

from orchestration.lib.ingest import days_to_load, event_days, load_event_days, loaded_files, partition_runs
from orchestration.lib.ingest.loading import prepare
from tests.helpers.landing import event


def loaded_state(landing, tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    prepare(con)
    load_event_days(con, landing.root, event_days(landing.root))
    return con


def test_a_new_warehouse_loads_every_day(landing):
    landing.events("2026-10-30", [event("a")])
    landing.events("2026-10-29", [event("b")])
    assert days_to_load(landing.root, event_days(landing.root), {}) == ["2026-10-29", "2026-10-30"]


def test_loaded_days_are_not_loaded_again_and_the_manifest_has_checksums(landing, tmp_path):
    landing.events("2026-10-30", [event("a")])
    with loaded_state(landing, tmp_path) as con:
        manifest = loaded_files(con)
    assert list(manifest) == ["2026-10-30"]
    (state,) = manifest["2026-10-30"].values()
    assert state.source_file == "events/2026-10-30/events.jsonl" and len(state.crc32) == 8 and state.size_bytes > 0
    assert days_to_load(landing.root, event_days(landing.root), manifest) == []


def test_a_late_older_folder_and_a_day_between_known_days_are_loaded(landing, tmp_path):
    # Regression: a folder older than the loaded ones was silently not ingested
    landing.events("2026-10-28", [event("a")])
    landing.events("2026-10-30", [event("b")])
    with loaded_state(landing, tmp_path) as con:
        manifest = loaded_files(con)
    landing.events("2026-10-27", [event("late")])
    landing.events("2026-10-29", [event("between")])
    assert days_to_load(landing.root, event_days(landing.root), manifest) == ["2026-10-27", "2026-10-29"]


def test_added_removed_and_rewritten_files_reload_their_day_only(landing, tmp_path):
    landing.events("2026-10-01", [event("a")])
    landing.events("2026-10-02", [event("b")])
    landing.events("2026-10-03", [event("c")])
    with loaded_state(landing, tmp_path) as con:
        manifest = loaded_files(con)
    landing.events("2026-10-01", [event("a2")], name="second.jsonl")                  # added
    (landing.root / "events" / "2026-10-02" / "events.jsonl").write_text(
        (landing.root / "events" / "2026-10-02" / "events.jsonl").read_text().replace('"b"', '"x"'))  # same size
    assert days_to_load(landing.root, event_days(landing.root), manifest) == ["2026-10-01", "2026-10-02"]


def test_a_touched_file_with_the_same_bytes_is_not_reloaded(landing, tmp_path):
    path = landing.events("2026-10-01", [event("a")])
    with loaded_state(landing, tmp_path) as con:
        manifest = loaded_files(con)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert days_to_load(landing.root, event_days(landing.root), manifest) == []


@pytest.mark.parametrize("order, days, runs", [
    (["2026-10-30", "2026-10-31"], ["2026-10-30", "2026-10-31"], [["2026-10-30", "2026-10-31"]]),
    (["2026-10-30", "2026-10-31", "2026-10-29"], ["2026-10-29"], [["2026-10-29"]]),
    (["2026-10-30", "2026-10-31", "2026-10-29"], ["2026-10-29", "2026-10-30", "2026-10-31"],
     [["2026-10-30", "2026-10-31", "2026-10-29"]]),
    (["2026-10-28", "2026-10-30", "2026-10-29"], ["2026-10-28", "2026-10-29"], [["2026-10-28"], ["2026-10-29"]]),
])
def test_partition_runs_cover_exactly_their_days(order, days, runs):
    assert partition_runs(order, days) == runs


def test_partition_runs_refuse_unknown_days():
    with pytest.raises(ValueError, match="2026-10-29"):
        partition_runs(["2026-10-30"], ["2026-10-29"])
