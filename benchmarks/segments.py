"""Segment evaluation benchmark: the compiled example segments against hand-written DuckDB SQL.

`python -m benchmarks.segments [WAREHOUSE]` (default bench_out/pipeline/warehouse.duckdb; built with the
pipeline at BENCH_CONTACTS x BENCH_DAYS when missing). Opens the warehouse read-only and evaluates every
segment in segments/ at AS_OF on the segments.seg_* relations twice: the query the compiler emits
(orchestration/lib/segments/dsl/) and HAND_SQL below, the plain query an analyst would write for the same
definition on the same relations. Each runs once to warm up, then best of BENCH_SEGMENTS_REPEAT (3). Both
must return the same member set: otherwise MISMATCH is printed and the exit status is 1 (a compiler bug,
or HAND_SQL drifted from the YAML; tests/benchmarks/test_segments.py guards the latter on a crafted fixture).
BENCH_SEGMENTS_MEMORY=1 first copies the four relations into in-memory tables (both sides read those).
Writes bench_out/segments_results.json. Target: compiled within 1.5x of hand-written, all segments < 30 s.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("BENCH_OUT", "bench_out")).resolve()
AS_OF = "2026-11-01T00:00:00Z"
REPEAT = int(os.environ.get("BENCH_SEGMENTS_REPEAT", "3"))
RELATIONS = ("seg_profiles", "seg_events", "seg_scores", "seg_affinity")

# The hand-written equivalents of segments/*.yml. One parameter: $as_of, a naive UTC timestamp. Members are
# people of seg_profiles (the compiled query selects from it), hence the `in (select person_id ...)`.
HAND_SQL: dict[str, str] = {
    "active_buyers": """
        select person_id from segments.seg_events
        where event_name = 'Order Completed'
          and occurred_at > $as_of - interval 90 day and occurred_at <= $as_of
          and person_id in (select person_id from segments.seg_profiles)
        group by person_id
        having count(*) >= 2""",
    "cart_abandoners_electronics": """
        with abandoned as (
            select distinct a.person_id from segments.seg_events a
            where a.event_name = 'Product Added' and a.category = 'Electronics'
              and a.occurred_at > $as_of - interval 7 day and a.occurred_at <= $as_of
              and a.occurred_at + interval 24 hour <= $as_of
              and not exists (
                  select 1 from segments.seg_events o
                  where o.person_id = a.person_id and o.event_name = 'Order Completed'
                    and o.occurred_at > a.occurred_at and o.occurred_at <= a.occurred_at + interval 24 hour)
        ),
        viewers as (
            select person_id from segments.seg_events
            where event_name = 'Product Viewed' and category = 'Electronics'
              and occurred_at > $as_of - interval 30 day and occurred_at <= $as_of
            group by person_id
            having count(*) >= 2
        )
        select person_id from abandoned join viewers using (person_id)
        where person_id in (select person_id from segments.seg_profiles)""",
    "high_value": """
        select person_id from segments.seg_events
        where event_name = 'Order Completed'
          and occurred_at > $as_of - interval 365 day and occurred_at <= $as_of
          and person_id in (select person_id from segments.seg_profiles)
        group by person_id
        having sum(order_total) >= 500""",
    "highly_engaged": """
        select person_id from segments.seg_scores
        where tier = 'highly_engaged' and person_id in (select person_id from segments.seg_profiles)""",
    "inactive_90_days": """
        select person_id from segments.seg_events
        where event_name in ('Signed In', 'Order Completed') and occurred_at <= $as_of
          and person_id in (select person_id from segments.seg_profiles)
        group by person_id
        having max(occurred_at) <= $as_of - interval 90 day""",
    "potential_buyers": """
        select person_id from segments.seg_scores
        where tier = 'potential_buyer' and person_id in (select person_id from segments.seg_profiles)""",
    "saas_reengagement": """
        select person_id from segments.seg_events
        where event_name = 'Signed In'
          and occurred_at > $as_of - interval 180 day and occurred_at <= $as_of
          and person_id in (select person_id from segments.seg_profiles)
        group by person_id
        having max(occurred_at) <= $as_of - interval 30 day""",
    # age 25..35 in full years at as_of: born in (as_of - 36 years, as_of - 25 years]
    "urban_women_25_35_new_arrivals": """
        select p.person_id from segments.seg_profiles p
        where p.gender = 'female' and p.city_type = 'urban'
          and p.birth_date <= cast($as_of as date) - interval 25 year
          and p.birth_date > cast($as_of as date) - interval 36 year
          and exists (
              select 1 from segments.seg_events v
              where v.person_id = p.person_id and v.event_name = 'Product Viewed'
                and v.product_is_new_arrival
                and v.occurred_at > $as_of - interval 30 day and v.occurred_at <= $as_of)
          and not exists (
              select 1 from segments.seg_events o
              where o.person_id = p.person_id and o.event_name = 'Order Completed'
                and o.occurred_at > $as_of - interval 30 day and o.occurred_at <= $as_of)""",
}


def peak_rss_mb() -> float:
    """This process only (a warehouse built first runs in child processes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def catalog():
    from orchestration.lib.segments import SCHEMA, load_catalog

    return load_catalog(ROOT / "segments", SCHEMA)


def hand_members(con, name: str, as_of) -> list[str]:
    from orchestration.lib.core import to_utc

    sql = HAND_SQL[name]
    params = {"as_of": to_utc(as_of)} if "$as_of" in sql else {}
    return sorted(r[0] for r in con.execute(sql, params).fetchall())


def best_of(fn, repeat: int) -> tuple[float, list]:
    fn()  # warm-up
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def open_relations(warehouse: Path, memory: bool) -> duckdb.DuckDBPyConnection:
    if not memory:
        return duckdb.connect(str(warehouse), read_only=True)
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    con.execute("create schema segments")
    for rel in RELATIONS:
        con.execute(f"create table segments.{rel} as select * from wh.segments.{rel}")
    con.execute("detach wh")
    return con


def build_warehouse(warehouse: Path) -> None:
    """A warehouse from the pipeline, when none exists: generator data at BENCH_CONTACTS x BENCH_DAYS."""
    from benchmarks import run

    landing = run.OUT / f"landing_{run.CONTACTS}_{run.DAYS}"
    if not (landing / "ground_truth" / "manifest.json").exists():
        print(f"generating {run.CONTACTS:,} contacts x {run.DAYS} days into {landing} ...", flush=True)
        run.phase("generate", str(landing), str(run.CONTACTS), str(run.DAYS))
    print(f"building {warehouse} with the pipeline ...", flush=True)
    run.phase("pipeline", str(landing), str(warehouse), AS_OF)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    warehouse = Path(argv[0] if argv else OUT / "pipeline" / "warehouse.duckdb").resolve()
    if not warehouse.is_file():
        build_warehouse(warehouse)
    memory = os.environ.get("BENCH_SEGMENTS_MEMORY", "0") == "1"
    cat = catalog()
    if not cat.ok:
        raise SystemExit("segment definitions do not validate:\n" + "\n".join(str(i) for i in cat.errors))
    missing = sorted(set(cat.segments) ^ set(HAND_SQL))
    if missing:
        raise SystemExit(f"HAND_SQL and segments/ disagree on these segments: {missing}")
    t = time.perf_counter()
    con = open_relations(warehouse, memory)
    load_s = time.perf_counter() - t
    persons, events = (con.execute(f"select count(*) from segments.{r}").fetchall()[0][0]
                       for r in ("seg_profiles", "seg_events"))
    print(f"segments on {warehouse} ({'in-memory copy' if memory else 'file, read-only'}): {persons:,} persons, "
          f"{events:,} events, as_of {AS_OF}, best of {REPEAT} after one warm-up")
    print(f"  {'segment':34} {'members':>9} {'compiled s':>11} {'hand s':>9} {'ratio':>7}")
    rows, mismatches = [], []
    for name in sorted(cat.segments):
        compiled = cat.compile(name)
        c_s, c_members = best_of(lambda: compiled.members(con, AS_OF), REPEAT)
        h_s, h_members = best_of(lambda: hand_members(con, name, AS_OF), REPEAT)
        same = set(c_members) == set(h_members)
        row = {"segment": name, "members": len(c_members), "hand_members": len(h_members),
               "compiled_seconds": c_s, "hand_seconds": h_s, "ratio": c_s / h_s if h_s else None, "same": same}
        if not same:
            only_c, only_h = sorted(set(c_members) - set(h_members)), sorted(set(h_members) - set(c_members))
            row["only_compiled"], row["only_hand"] = only_c[:20], only_h[:20]
            mismatches.append(name)
        rows.append(row)
        ratio = f"{row['ratio']:.2f}x" if row["ratio"] else "-"
        print(f"  {name:34} {len(c_members):>9,} {c_s:>11.3f} {h_s:>9.3f} {ratio:>7}", flush=True)
        if not same:
            print(f"  !!! MISMATCH {name}: compiled {len(c_members):,} members, hand-written {len(h_members):,}; "
                  f"only compiled (first 20): {row['only_compiled']}; only hand (first 20): {row['only_hand']}")
    c_total, h_total = sum(r["compiled_seconds"] for r in rows), sum(r["hand_seconds"] for r in rows)
    rss = peak_rss_mb()
    print(f"  {'total':34} {'':>9} {c_total:>11.3f} {h_total:>9.3f} {c_total / h_total:>6.2f}x; "
          f"peak RSS {rss:,.0f} MB" + (f"; in-memory copy {load_s:.1f}s" if memory else ""))
    worst = max(rows, key=lambda r: r["ratio"] or 0)
    print(f"  target: every ratio <= 1.5x (worst {worst['segment']} {worst['ratio']:.2f}x), "
          f"total compiled < 30 s ({c_total:.1f}s)")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "segments_results.json").write_text(json.dumps({
        "warehouse": str(warehouse), "as_of": AS_OF, "persons": persons, "events": events, "in_memory": memory,
        "load_seconds": load_s, "repeat": REPEAT, "segments": rows, "compiled_total_seconds": c_total,
        "hand_total_seconds": h_total, "ratio_total": c_total / h_total, "peak_rss_mb": rss,
        "mismatches": mismatches}, indent=2))
    if mismatches:
        print(f"MISMATCH between compiled and hand-written members: {mismatches}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
