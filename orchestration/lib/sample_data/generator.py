"""Realistic, deterministic sample data for the microseg landing folder.

Pure Python (stdlib + numpy, no dagster).  ``generate(out_dir, ...)`` writes a landing folder
that follows ``DATA_CONTRACT.md``::

    OUT/events/YYYY-MM-DD/events-NNN.jsonl[.gz]   Segment-spec events, one file per shard and day
    OUT/crm/contacts.csv                          messy CRM export (duplicates, typos, formats)
    OUT/orders/orders.csv, OUT/orders/order_items.csv
    OUT/catalog/products.csv
    OUT/suppression/suppression.csv
    OUT/ground_truth/{contacts,devices,persons}.csv, OUT/ground_truth/manifest.json

Determinism: the same arguments give byte-identical files.  Every random draw comes from numpy
``default_rng`` / ``random.Random`` seeded from ``seed`` (per shard), nothing reads the wall
clock (``as_of`` defaults to ``DEFAULT_AS_OF``), nothing iterates over sets or hashes, gzip
headers carry no mtime.  Persons are split into shards of ~12,500 contacts (at most 8, a fixed
function of ``contacts``, never of the CPU count); shards run in worker processes (started from
the forkserver, each with a pickled copy of the plan) and each writes its own ``events-NNN`` file per day, so the output does not depend on ``workers``.

Streaming: events are generated and written one received day at a time per shard; per-person
state is a few arrays/lists, so memory does not grow with ``days``.  Volume is ~1.1 event lines
per person-day (web sessions + email), i.e. ~100 per person over 90 days.

The world: persons (hidden truth in ground_truth/persons.csv) have gender, birth date, a real
city of DE/FR/GB/US/ES/IT/NL/AT/CH (big cities and small towns/villages, plausible postal codes
and phone area codes), a preferred category and price level drawn from gender/age/urban effects,
a lifecycle (``active``, ``occasional``, ``churned`` = no activity for the last 3-10 weeks,
``inactive`` = only orders months ago, ``new`` = signs up inside the window) and 1-3 devices.
~10 % more persons are anonymous visitors who never sign up.  Web sessions run landing page ->
list/search -> product views -> cart (adds/removes/cart view, abandonment) -> checkout ->
``Order Completed``; registered people sign in part-way (``identify`` + ``Signed In``) so earlier
anonymous events of the device get linked.  Email campaigns (two newsletters a week plus promos,
some A/B) produce delivered/bounced/opened/clicked/unsubscribed/spam events (userId only) and
click-through sessions.  Every ``Order Completed`` has its row in orders.csv; store (POS) and
historical orders have no events.  ~9 % of CRM persons have 2-3 contact rows with typos, accent,
case and whitespace variants, changed or mistyped emails and phones in many formats.  Suppression
rows come from bounces/unsubscribes/complaints in the window plus older ones and erasures.
Event lines are ASCII (non-ASCII characters are JSON-escaped); key order is type, messageId,
timestamp, userId, anonymousId, event/name, properties/traits, context.

Injected event mess (per event line; every injected line has exactly one defect, and each
kind is counted exactly in the stats / manifest):

====================  ========  ===============================================================
kind                  rate      what the line looks like
====================  ========  ===============================================================
malformed_json        0.10 %    truncated or garbled JSON (not parseable)
missing_message_id    0.10 %    ``messageId`` absent, null or ""
missing_timestamp     0.08 %    ``timestamp`` absent or null
bad_timestamp         0.10 %    unparsable ``timestamp`` ("yesterday", "2026-13-45T25:00:00Z", ...)
missing_identity      0.08 %    ``userId`` and ``anonymousId`` both absent / null
future_timestamp      0.05 %    timestamp 3 days .. 2 years after the end of the received day
near_future           0.05 %    valid; timestamp up to 20 h after the end of the received day
redelivered           1.0 %     after a valid line: an exact copy of an earlier valid line
                                (same file or a later day's file of the same shard)
late                  1.25 %    of web sessions: delivered 1-5 days after they happened (~1 % of lines)
unknown_event         0.65 %    per session step: an extra track event named outside the contract
                                table ("Coupon Applied", "Wishlist Item Added", ...) (~0.3 % of lines)
====================  ========  ===============================================================

The first six are quarantine reasons; ``event_lines == valid_events + redelivered +
sum(quarantine.values())`` always holds.  ``late`` counts valid first deliveries whose
timestamp is before the start of their received day; ``near_future`` those at or after its
end; ``unknown_event`` valid first deliveries of track events outside the contract's table.
Other rates (duplicates, anonymous visitors, suppression, POS orders, ...) are module constants
and are written to the manifest with the ones above.
"""

from __future__ import annotations

import csv
import gc
import json
import os
import queue
import re
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from orchestration.lib.core import format_as_of, worker_context, workers_available
from orchestration.lib.sample_data.contract import (
    CONTACT_COLUMNS,
    DEFAULT_AS_OF,
    GROUND_TRUTH_CONTACT_COLUMNS,
    GROUND_TRUTH_DEVICE_COLUMNS,
    GROUND_TRUTH_PERSON_COLUMNS,
    ORDER_COLUMNS,
    ORDER_ITEM_COLUMNS,
    PRODUCT_COLUMNS,
    RATES,
    SUPPRESSION_COLUMNS,
    GenerationStats,
)
from orchestration.lib.sample_data.plan import PARTS_FOLDER, Plan, build_plan
from orchestration.lib.sample_data.shard import Shard

__all__ = ["DEFAULT_AS_OF", "GenerationStats", "generate", "RATES"]

# the merged files: (path in the landing folder, header, part-file name)
_MERGED_FILES = (
    ("crm/contacts.csv", CONTACT_COLUMNS, "contacts"),
    ("orders/orders.csv", ORDER_COLUMNS, "orders"),
    ("orders/order_items.csv", ORDER_ITEM_COLUMNS, "order_items"),
    ("suppression/suppression.csv", SUPPRESSION_COLUMNS, "suppression"),
    ("ground_truth/contacts.csv", GROUND_TRUTH_CONTACT_COLUMNS, "gt_contacts"),
    ("ground_truth/devices.csv", GROUND_TRUTH_DEVICE_COLUMNS, "gt_devices"),
    ("ground_truth/persons.csv", GROUND_TRUTH_PERSON_COLUMNS, "gt_persons"),
)
_SUMMED_STATS = ("persons", "contacts", "duplicate_contacts", "devices", "orders", "order_items",
                 "unattributed_orders", "suppressed", "event_lines", "valid_events", "redelivered", "late",
                 "near_future", "unknown_event", "files")


def generate(out_dir: str | Path, contacts: int = 1000, days: int = 30, seed: int = 42,
             as_of: datetime | None = None, gzip_every: int = 0,
             progress: Callable[[str], None] | None = None, *, workers: int | None = None) -> GenerationStats:
    """Write a realistic landing folder to ``out_dir``; see the module docstring.

    ``workers`` (keyword only) caps the number of worker processes (default: CPU count;
    never more than the number of shards; 1 runs everything in this process); the output does
    not depend on it.
    """
    t0 = time.perf_counter()
    if contacts < 1 or days < 1:
        raise ValueError("contacts and days must be >= 1")
    as_of = DEFAULT_AS_OF if as_of is None else as_of
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("as_of must be timezone-aware")
    as_of = as_of.astimezone(timezone.utc)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _clean(out)
    gc_was = gc.isenabled()
    gc.disable()
    try:
        plan, product_rows = build_plan(out, contacts, days, seed, as_of, gzip_every, progress)
    finally:
        if gc_was:
            gc.enable()
    plan.parts.mkdir(parents=True, exist_ok=True)
    (out / "events").mkdir(exist_ok=True)

    (out / "catalog").mkdir(exist_ok=True)
    with open(out / "catalog" / "products.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(PRODUCT_COLUMNS)
        writer.writerows(product_rows)
    if progress:
        progress(f"catalog: {len(product_rows):,} products; "
                 f"{sum(len(v) for v in plan.campaigns.values())} email campaigns")

    results = _run_shards(plan, workers, progress)

    for path, header, part in _MERGED_FILES:
        _concat(out / path, header, [plan.parts / f"{part}-{s:03d}.csv" for s in range(plan.shard_count)])
    shutil.rmtree(plan.parts)

    stats = GenerationStats(products=len(product_rows), day_folders=days)
    for r in results:
        for k in _SUMMED_STATS:
            setattr(stats, k, getattr(stats, k) + int(r[k]))
        for k, v in r["quarantine"].items():
            stats.quarantine[k] += int(v)
    stats.day_folders = sum(1 for d in plan.day_names if (out / "events" / d).is_dir())
    stats.seconds = round(time.perf_counter() - t0, 3)
    manifest = {k: v for k, v in stats.to_dict().items() if k != "seconds"}
    manifest["params"] = {"contacts": contacts, "days": days, "seed": seed, "as_of": format_as_of(as_of),
                          "gzip_every": gzip_every, "first_day": plan.day_names[0], "last_day": plan.day_names[-1],
                          "shards": plan.shard_count}
    manifest["rates"] = dict(RATES)
    (out / "ground_truth").mkdir(exist_ok=True)
    with open(out / "ground_truth" / "manifest.json", "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
    if progress:
        progress(f"done: {stats.event_lines:,} event lines, {stats.contacts:,} contacts, {stats.orders:,} orders "
                 f"in {stats.seconds:.1f} s")
    return stats


# =========================================================================== shards, in workers or here
_WORKER_PLAN: Plan | None = None  # a worker's copy of the plan (set by _start_worker)
_PROGRESS_QUEUE = None


def _start_worker(plan: Plan, progress_queue) -> None:
    global _WORKER_PLAN, _PROGRESS_QUEUE
    _WORKER_PLAN, _PROGRESS_QUEUE = plan, progress_queue


def _run_shard_in_worker(shard: int) -> dict:
    progress_queue = _PROGRESS_QUEUE

    def report(msg):
        progress_queue.put(msg)

    return Shard(_WORKER_PLAN, shard, report).run()


def _run_shards(plan: Plan, workers: int | None, progress) -> list[dict]:
    """Every shard's stats, in shard order; the day progress is reported once all shards wrote a day."""
    n_shards, days = plan.shard_count, len(plan.day_starts)
    day_lines = [0] * days
    day_done = [0] * days

    def on_day_written(msg):
        _, shard, di, lines = msg
        day_lines[di] += lines
        day_done[di] += 1
        if day_done[di] == n_shards and progress:
            progress(f"events {plan.day_names[di]}: {day_lines[di]:,} lines")

    nproc = workers if workers is not None else (os.cpu_count() or 1)
    nproc = max(1, min(nproc, n_shards))
    results: list[dict] = []
    if nproc > 1 and workers_available():
        ctx = worker_context()
        progress_queue = ctx.Queue()
        with ctx.Pool(nproc, initializer=_start_worker, initargs=(plan, progress_queue)) as pool:
            res = pool.map_async(_run_shard_in_worker, range(n_shards), chunksize=1)
            while True:
                try:
                    on_day_written(progress_queue.get(timeout=0.2))
                    continue
                except queue.Empty:
                    pass
                if res.ready():
                    break
            results = res.get()
            while sum(day_done) < n_shards * days:
                on_day_written(progress_queue.get(timeout=5))
    else:
        for s in range(n_shards):
            results.append(Shard(plan, s, on_day_written).run())
    return results


# =========================================================================== files
def _clean(out: Path) -> None:
    """Remove what an earlier run left: event files (and day folders left empty), part files."""
    ev = out / "events"
    if ev.is_dir():
        for d in sorted(ev.iterdir()):
            if d.is_dir() and re.fullmatch(r"\d{4}-\d{2}-\d{2}", d.name):
                for f in sorted(d.iterdir()):
                    if re.fullmatch(r"events-\d{3}\.jsonl(\.gz)?", f.name):
                        f.unlink()
                if not any(d.iterdir()):
                    d.rmdir()
    if (out / PARTS_FOLDER).exists():
        shutil.rmtree(out / PARTS_FOLDER)


def _concat(dest: Path, header, parts: list[Path]) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerow(header)
        for part in parts:
            with open(part, encoding="utf-8", newline="") as src:
                shutil.copyfileobj(src, fh, 1 << 20)
