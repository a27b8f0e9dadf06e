"""benchmarks/segments.py: its hand-written SQL returns the compiled members of every example segment.

A tiny crafted evaluation schema (segments.seg_* in memory) gives each segment members and non-members,
with occurrences on the window boundaries, so the hand-written queries cannot drift from segments/*.yml.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import duckdb
import pytest

from benchmarks import segments as bench
from orchestration.lib.segments.dsl import evaluation_ddl
from orchestration.lib.segments.tools import SCHEMA

AS_OF = datetime(2026, 11, 1)


def ago(days=0, hours=0) -> datetime:
    return AS_OF - timedelta(days=days, hours=hours)


def years_before(years: int, days: int = 0) -> date:
    return date(AS_OF.year - years, AS_OF.month, AS_OF.day) + timedelta(days=days)


PEOPLE = {
    # active_buyers / high_value
    "ab1": {}, "ab2": {}, "ab3": {}, "hv1": {}, "hv2": {},
    # cart_abandoners_electronics
    "ca1": {}, "ca2": {}, "ca3": {}, "ca4": {}, "ca5": {},
    # inactive_90_days / saas_reengagement
    "in1": {}, "in2": {}, "in3": {}, "in4": {}, "sa1": {}, "sa2": {}, "sa3": {},
    # scores
    "sc1": {}, "sc2": {}, "sc3": {},
    # urban_women_25_35_new_arrivals
    "uw1": {"gender": "female", "city_type": "urban", "birth_date": years_before(30)},
    "uw2": {"gender": "female", "city_type": "urban", "birth_date": years_before(30)},
    "uw3": {"gender": "male", "city_type": "urban", "birth_date": years_before(30)},
    "uw4": {"gender": "female", "city_type": "urban", "birth_date": years_before(36)},          # 36 today
    "uw5": {"gender": "female", "city_type": "urban", "birth_date": years_before(25)},          # 25 today
    "uw6": {"gender": "female", "city_type": None, "birth_date": years_before(30)},
    "uw7": {"gender": "female", "city_type": "urban", "birth_date": years_before(25, 1)},       # 24
    "uw8": {"gender": "female", "city_type": "rural", "birth_date": years_before(30)},
    "uw9": {"gender": "female", "city_type": "urban", "birth_date": years_before(36, 1)},       # 35
    "uw10": {"gender": "female", "city_type": "urban", "birth_date": years_before(30)},
}

ORDER, ADD, VIEW, SIGN = "Order Completed", "Product Added", "Product Viewed", "Signed In"
EVENTS = [
    ("ab1", ORDER, ago(10), {"total": 300.0}), ("ab1", ORDER, AS_OF, {"total": 300.0}),
    ("ab2", ORDER, ago(10), {"total": 100.0}), ("ab2", ORDER, ago(90), {"total": 100.0}),   # boundary: out
    ("ab3", ORDER, ago(10), {"total": 100.0}), ("ab3", ORDER, AS_OF + timedelta(hours=1), {"total": 900.0}),
    ("hv1", ORDER, ago(200), {"total": 500.0}),
    ("hv2", ORDER, ago(200), {"total": 400.0}), ("hv2", ORDER, ago(400), {"total": 400.0}),
    ("ca1", ADD, ago(3), {"category": "Electronics"}),
    ("ca2", ADD, ago(3), {"category": "Electronics"}), ("ca2", ORDER, ago(3) + timedelta(hours=2), {"total": 50.0}),
    ("ca3", ADD, ago(hours=10), {"category": "Electronics"}),                                 # grace not over
    ("ca4", ADD, ago(3), {"category": "Electronics"}), ("ca4", VIEW, ago(2), {"category": "Books"}),
    ("ca5", ADD, ago(3), {"category": "Electronics"}), ("ca5", ORDER, ago(3) + timedelta(hours=2), {"total": 5.0}),
    ("ca5", ADD, ago(6), {"category": "Electronics"}), ("ca5", ORDER, ago(6) + timedelta(hours=25), {"total": 5.0}),
    ("ca6", ADD, ago(8), {"category": "Electronics"}),                                        # outside 7d
    *[(p, VIEW, ago(d), {"category": "Electronics"}) for p in ("ca1", "ca2", "ca3", "ca5", "ca6") for d in (1, 20)],
    ("ca4", VIEW, ago(2), {"category": "Electronics"}),
    ("in1", SIGN, ago(100), {}),
    ("in2", SIGN, ago(100), {}), ("in2", ORDER, ago(10), {"total": 10.0}),
    ("in3", VIEW, ago(100), {}),
    ("in4", SIGN, ago(90), {}),                                                               # boundary: out
    ("sa1", SIGN, ago(60), {}),
    ("sa2", SIGN, ago(60), {}), ("sa2", SIGN, ago(5), {}),
    ("sa3", SIGN, ago(200), {}), ("sa3", SIGN, ago(30), {}),                                  # boundary: out
    *[(p, VIEW, ago(5), {"product_is_new_arrival": True}) for p in ("uw1", "uw2", "uw3", "uw4", "uw5", "uw6",
                                                                     "uw7", "uw9")],
    ("uw8", VIEW, ago(5), {"product_is_new_arrival": True}),
    ("uw10", VIEW, ago(5), {"product_is_new_arrival": False}),
    ("uw10", VIEW, ago(40), {"product_is_new_arrival": True}),
    ("uw2", ORDER, ago(5), {"total": 20.0}),
    # a person missing from seg_profiles is nobody's member
    ("ghost", ORDER, ago(10), {"total": 900.0}), ("ghost", ORDER, ago(5), {"total": 900.0}),
    ("ghost", SIGN, ago(60), {}),
]
SCORES = [("sc1", "highly_engaged"), ("sc2", "potential_buyer"), ("sc3", "casual"), ("ab1", "potential_buyer"),
          ("ghost", "highly_engaged")]


def insert(con, table: str, rows: list[dict]) -> None:
    cols = sorted({c for r in rows for c in r})
    marks = ", ".join("?" for _ in cols)
    con.executemany(f"insert into {table} ({', '.join(chr(34) + c + chr(34) for c in cols)}) values ({marks})",
                    [[r.get(c) for c in cols] for r in rows])


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    con.execute("create schema segments")
    for ddl in evaluation_ddl(SCHEMA):
        con.execute(ddl)
    insert(con, "segments.seg_profiles", [{"person_id": p, **attrs} for p, attrs in PEOPLE.items()])
    rows = []
    for i, (person, name, at, props) in enumerate(EVENTS):
        row = {"message_id": f"m{i}", "person_id": person, "event_name": name, "event_type": "track",
               "occurred_at": at, "properties": json.dumps(props)}
        for key, value in props.items():
            row[SCHEMA.event_properties[key].column if key in SCHEMA.event_properties else key] = value
        rows.append(row)
    insert(con, "segments.seg_events", rows)
    insert(con, "segments.seg_scores", [{"person_id": p, "tier": t} for p, t in SCORES])
    yield con
    con.close()


EXPECTED = {
    "active_buyers": {"ab1", "ca5"},
    "high_value": {"ab1", "hv1"},
    "cart_abandoners_electronics": {"ca1", "ca5"},
    "inactive_90_days": {"hv1", "hv2", "in1", "in4"},
    "saas_reengagement": {"in1", "in2", "in4", "sa1", "sa3"},
    "highly_engaged": {"sc1"},
    "potential_buyers": {"ab1", "sc2"},
    "urban_women_25_35_new_arrivals": {"uw1", "uw5", "uw9"},
}


def test_hand_sql_covers_every_example_segment():
    assert set(bench.HAND_SQL) == set(bench.catalog().segments)


@pytest.mark.parametrize("name", sorted(bench.HAND_SQL))
def test_hand_sql_returns_the_compiled_members(con, name):
    compiled = bench.catalog().compile(name)
    got = set(compiled.members(con, bench.AS_OF))
    hand = set(bench.hand_members(con, name, bench.AS_OF))
    assert hand == got
    assert got == EXPECTED[name]
    assert set(PEOPLE) - got, "every segment needs non-members in the fixture"


@pytest.mark.parametrize("name", sorted(bench.HAND_SQL))
def test_deduplicated_schema_compiles_to_the_same_members(con, name):
    # the pipeline's relations are unique per message_id and person_id (blocking dbt tests), so the
    # compiler skips re-deduplicating there; on such relations both forms must agree
    from dataclasses import replace

    from orchestration.lib.segments.dsl import load_catalog

    assert con.execute("select count(*) = count(distinct message_id) from segments.seg_events").fetchall()[0][0]
    fast = load_catalog(bench.ROOT / "segments", SCHEMA)
    slow = load_catalog(bench.ROOT / "segments", replace(SCHEMA, deduplicated=False))
    assert "group by e.person_id, e.message_id" not in fast.compile(name).sql
    assert fast.compile(name).members(con, AS_OF) == slow.compile(name).members(con, AS_OF)
