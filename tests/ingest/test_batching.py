"""Received days are loaded in batches bounded by days and by event text (setting ingest_batch_mb): a load's memory
follows the setting, not the input; a day is never split, and the batches load what one statement would."""

from __future__ import annotations

import gzip

from orchestration.lib.ingest import batches, connect, load_received_days, text_bytes
from orchestration.lib.ingest.contract import event_days
from tests.helpers.landing import Landing, event


def test_text_bytes_is_a_files_size_or_a_gzips_uncompressed_size(tmp_path):
    plain, packed, broken = tmp_path / "a.jsonl", tmp_path / "b.jsonl.gz", tmp_path / "c.jsonl.gz"
    text = b'{"messageId": "m"}\n' * 1000
    plain.write_bytes(text)
    packed.write_bytes(gzip.compress(text))
    broken.write_bytes(b"not gzip at all, but named so")
    assert text_bytes(plain) == text_bytes(packed) == len(text)
    assert packed.stat().st_size < len(text) / 10
    assert text_bytes(broken) == broken.stat().st_size
    assert text_bytes(tmp_path / "missing.jsonl") == 0


def test_batches_are_cut_by_days_and_by_text_and_never_split_a_day(tmp_path):
    days = [f"2026-10-{d:02d}" for d in range(1, 8)]
    sizes = {"2026-10-01": 400, "2026-10-02": 400, "2026-10-03": 300, "2026-10-04": 2000, "2026-10-05": 10,
             "2026-10-06": 10, "2026-10-07": 10}
    files = {}
    for day in days:
        path = tmp_path / f"{day}.jsonl"
        path.write_bytes(b"x" * sizes[day])
        files[day] = [path]
    assert batches(days, files, max_bytes=1000) == [
        ["2026-10-01", "2026-10-02"], ["2026-10-03"], ["2026-10-04"], ["2026-10-05", "2026-10-06", "2026-10-07"]]
    assert batches(days, files, max_bytes=1000, max_days=2) == [
        ["2026-10-01", "2026-10-02"], ["2026-10-03"], ["2026-10-04"], ["2026-10-05", "2026-10-06"],
        ["2026-10-07"]]
    assert batches(days) == [days]                                   # no size bound: BATCH_DAYS days a batch
    assert batches([]) == []


def test_a_load_in_small_batches_equals_a_load_in_one(tmp_path):
    landing = Landing(tmp_path / "landing")
    for d in range(1, 6):
        day = f"2026-10-{d:02d}"
        landing.events(day, [event(f"m{d}-{i}", f"{day}T10:00:00Z") for i in range(30)]
                       + [event(f"m{d - 1}-0", f"2026-10-{max(d - 1, 1):02d}T10:00:00Z"), "garbage"],
                       name="events.jsonl.gz" if d % 2 else "events.jsonl")
    keys = sorted(event_days(landing.root))
    results = {}
    for name, limit in (("one", None), ("small", 1)):          # 1 byte: every day a batch of its own
        with connect(tmp_path / f"{name}.duckdb") as con:
            lines = []
            loaded = load_received_days(con, landing.root, keys, 24.0, progress=lines.append, batch_bytes=limit)
            assert loaded.totals.reconciles
            results[name] = (con.execute("select * exclude (load_id) from raw.events order by all").fetchall(),
                             con.execute("select * from quarantine.events order by all").fetchall(),
                             [(d["day"], d["kept"], d["redelivered"], d["quarantined"]) for d in loaded.per_day],
                             len(lines))
    assert results["one"][:3] == results["small"][:3]
    assert (results["one"][3], results["small"][3]) == (1, 5)   # one progress line per batch
