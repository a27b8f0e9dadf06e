"""Tests for orchestration.lib.sample_data.generate: the output is parsed independently (json / csv)."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from orchestration.lib.sample_data import (
    DEFAULT_AS_OF,
    GenerationStats,
    generate,
)

CONTACTS, DAYS, GZIP_EVERY = 1500, 12, 4

CONTRACT_PROPS = {
    "Product Viewed": {"product_id", "category", "name", "price"},
    "Product List Viewed": {"category", "list_id"},
    "Products Searched": {"query"},
    "Product Added": {"cart_id", "product_id", "category", "price", "quantity"},
    "Product Removed": {"cart_id", "product_id", "category", "price", "quantity"},
    "Cart Viewed": {"cart_id"},
    "Checkout Started": {"cart_id", "order_id", "value", "currency"},
    "Order Completed": {"order_id", "total", "currency", "products"},
    "Signed Up": set(),
    "Signed In": set(),
    "Video Playback Started": {"video_id", "category"},
    "Email Delivered": {"campaign_id", "email_id"},
    "Email Opened": {"campaign_id", "email_id"},
    "Email Link Clicked": {"campaign_id", "email_id", "url"},
    "Email Bounced": {"campaign_id", "email_id"},
    "Email Marked as Spam": {"campaign_id", "email_id"},
    "Unsubscribed": {"campaign_id", "email_id"},
}
QUARANTINE = ("malformed_json", "missing_message_id", "missing_timestamp", "bad_timestamp",
              "missing_identity", "future_timestamp")
HEADERS = {
    "crm/contacts.csv": "contact_id,email,first_name,last_name,phone,gender,birth_date,city,postal_code,country,"
                        "created_at,updated_at,email_opt_in,source",
    "orders/orders.csv": "order_id,contact_id,email,ordered_at,status,currency,total",
    "orders/order_items.csv": "order_id,product_id,quantity,unit_price",
    "catalog/products.csv": "product_id,name,category,subcategory,price,is_new_arrival,launched_at,url,image_url",
    "suppression/suppression.csv": "email,reason,at",
    "ground_truth/contacts.csv": "contact_id,person_id",
    "ground_truth/devices.csv": "anonymous_id,person_id",
    "ground_truth/persons.csv": "person_id,gender,birth_date,city,country,preferred_category,lifecycle",
}


# ------------------------------------------------------------------------------ helpers
def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _event_files(root: Path):
    for day in sorted((root / "events").iterdir()):
        for f in sorted(day.iterdir()):
            yield day.name, f


def _lines(f: Path) -> list[str]:
    raw = gzip.decompress(f.read_bytes()) if f.name.endswith(".gz") else f.read_bytes()
    text = raw.decode("utf-8")
    assert text.endswith("\n")
    return text[:-1].split("\n")


def _parse_ts(v):
    if not isinstance(v, str) or not v:
        return None
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        return None
    return dt if dt.tzinfo is not None else None


def _classify(root: Path):
    """Classify every event line on its own; returns (counts, valid events, ordered lines)."""
    counts = Counter()
    seen: dict[str, str] = {}
    valid = []
    ordered = []  # (day, parsed dict or None, line)
    for day, f in _event_files(root):
        start = datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=timezone.utc)
        end = start + timedelta(days=1)
        for line in _lines(f):
            counts["event_lines"] += 1
            assert line.strip(), "blank line written"
            try:
                d = json.loads(line)
            except ValueError:
                d = None
            ordered.append((day, d if isinstance(d, dict) else None, line))
            if not isinstance(d, dict):
                counts["malformed_json"] += 1
                continue
            mid = d.get("messageId")
            if not isinstance(mid, str) or not mid:
                counts["missing_message_id"] += 1
                continue
            if d.get("timestamp") is None:
                counts["missing_timestamp"] += 1
                continue
            ts = _parse_ts(d["timestamp"])
            if ts is None:
                counts["bad_timestamp"] += 1
                continue
            if not d.get("userId") and not d.get("anonymousId"):
                counts["missing_identity"] += 1
                continue
            if ts > end + timedelta(hours=24):
                counts["future_timestamp"] += 1
                continue
            if mid in seen:
                assert seen[mid] == line, "a redelivery must be an exact copy"
                counts["redelivered"] += 1
                continue
            seen[mid] = line
            counts["valid_events"] += 1
            if ts < start:
                counts["late"] += 1
            elif ts >= end:
                counts["near_future"] += 1
            if d["type"] == "track" and d["event"] not in CONTRACT_PROPS:
                counts["unknown_event"] += 1
            valid.append((day, ts, d))
    return counts, valid, ordered


# ------------------------------------------------------------------------------ fixtures
# own generations, not the shared world (tests/helpers/world.py): fresh runs are what these tests are about
@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    msgs: list[str] = []
    a = tmp_path_factory.mktemp("gen_a")
    b = tmp_path_factory.mktemp("gen_b")
    sa = generate(a, contacts=CONTACTS, days=DAYS, seed=7, gzip_every=GZIP_EVERY, progress=msgs.append)
    sb = generate(b, contacts=CONTACTS, days=DAYS, seed=7, gzip_every=GZIP_EVERY)
    return a, b, sa, sb, msgs


@pytest.fixture(scope="module")
def out(runs):
    return runs[0]


@pytest.fixture(scope="module")
def manifest(out):
    return json.loads((out / "ground_truth" / "manifest.json").read_text())


@pytest.fixture(scope="module")
def classified(out):
    return _classify(out)


# ------------------------------------------------------------------------------ tests
def test_same_seed_byte_identical(runs):
    a, b, sa, sb, _ = runs
    fa, fb = _files(a), _files(b)
    assert fa.keys() == fb.keys()
    assert [k for k in fa if fa[k] != fb[k]] == []
    assert {k: v for k, v in sa.to_dict().items() if k != "seconds"} == \
        {k: v for k, v in sb.to_dict().items() if k != "seconds"}


def test_different_seed_differs(tmp_path, runs):
    generate(tmp_path, contacts=CONTACTS, days=DAYS, seed=8, gzip_every=GZIP_EVERY)
    fa, fc = _files(runs[0]), _files(tmp_path)
    for name in ("crm/contacts.csv", "orders/orders.csv", "events/2026-10-20/events-000.jsonl"):
        assert fa[name] != fc[name]


def test_layout_and_headers(out):
    for rel, header in HEADERS.items():
        with open(out / rel, encoding="utf-8") as fh:
            assert fh.readline().rstrip("\n") == header, rel
    days = sorted(p.name for p in (out / "events").iterdir())
    first = DEFAULT_AS_OF.date() - timedelta(days=DAYS)
    assert days == [(first + timedelta(days=k)).isoformat() for k in range(DAYS)]
    assert days[-1] == "2026-10-31"


def test_stats_and_manifest(runs, manifest):
    stats = runs[2]
    assert isinstance(stats, GenerationStats)
    d = stats.to_dict()
    assert "seconds" not in manifest and isinstance(d["seconds"], float)
    assert set(d["quarantine"]) == set(QUARANTINE)
    for k, v in d.items():
        if k != "seconds":
            assert manifest[k] == v, k
    assert manifest["contacts"] == CONTACTS
    assert manifest["event_lines"] == manifest["valid_events"] + manifest["redelivered"] + \
        sum(manifest["quarantine"].values())
    assert manifest["rates"]["redelivered"] > 0
    assert manifest["day_folders"] == DAYS


def test_every_line_classified_matches_manifest(classified, manifest):
    counts, valid, _ = classified
    for k in ("event_lines", "valid_events", "redelivered", "late", "near_future", "unknown_event"):
        assert counts[k] == manifest[k], k
    for k in QUARANTINE:
        assert counts[k] == manifest["quarantine"][k], k
    # every kind of mess is present at this size, at roughly the documented rates
    n = manifest["event_lines"]
    for k in QUARANTINE:
        assert 0 < counts[k] < 0.01 * n, k
    assert 0.003 * n < counts["redelivered"] < 0.03 * n
    assert 0.003 * n < counts["late"] < 0.03 * n
    assert counts["near_future"] > 0 and 0 < counts["unknown_event"] < 0.01 * n


def test_valid_events_follow_the_contract(classified):
    _, valid, _ = classified
    names = Counter()
    for day, ts, d in valid:
        assert d["type"] in ("track", "identify", "page")
        assert isinstance(d.get("properties", {}), dict)
        if d["type"] == "track":
            names[d["event"]] += 1
            need = CONTRACT_PROPS.get(d["event"])
            if need is not None:
                assert need <= set(d["properties"]), d
        elif d["type"] == "page":
            assert isinstance(d["name"], str) and d["name"]
        else:
            assert d["userId"] and d["anonymousId"] and isinstance(d["traits"], dict)
            assert set(d["traits"]) <= {"email", "first_name", "last_name", "phone", "city", "gender", "birth_date"}
        if "context" in d:
            ip = d["context"]["ip"]
            assert ip.startswith(("192.0.2.", "198.51.100.", "203.0.113."))
    for name in CONTRACT_PROPS:
        if name not in ("Email Marked as Spam", "Unsubscribed"):  # rare at this size
            assert names[name] > 0, name
    offsets = Counter(d["timestamp"][-6:] if d["timestamp"][-1] != "Z" else "Z" for _, _, d in valid)
    assert offsets["Z"] > 0.6 * len(valid) and len(offsets) > 2


def test_orders_match_events(out, classified):
    orders = {r["order_id"]: r for r in _read_csv(out / "orders" / "orders.csv")}
    items = defaultdict(list)
    for r in _read_csv(out / "orders" / "order_items.csv"):
        assert r["order_id"] in orders
        items[r["order_id"]].append(r)
    products = {r["product_id"] for r in _read_csv(out / "catalog" / "products.csv")}
    completed = [d for _, _, d in classified[1] if d.get("event") == "Order Completed"]
    assert completed
    for d in completed:
        pr = d["properties"]
        o = orders[pr["order_id"]]
        assert o["currency"] == pr["currency"]
        assert abs(float(o["total"]) - pr["total"]) < 0.005
        assert {p["product_id"] for p in pr["products"]} == {r["product_id"] for r in items[pr["order_id"]]}
    for oid, o in orders.items():
        assert o["status"] in ("completed", "refunded", "cancelled")
        assert o["currency"] in ("EUR", "USD", "GBP")
        cents = sum(int(r["quantity"]) * round(float(r["unit_price"]) * 100) for r in items[oid])
        assert cents == round(float(o["total"]) * 100), oid
        assert set(r["product_id"] for r in items[oid]) <= products
    unattributed = sum(1 for o in orders.values() if not o["contact_id"] and not o["email"])
    assert 0 < unattributed < 0.05 * len(orders)
    assert any(not o["contact_id"] and o["email"] for o in orders.values())
    assert any(o["order_id"].startswith("POS-") for o in orders.values())


def test_ground_truth_covers_contacts_and_devices(out, classified):
    gt_contacts = {r["contact_id"]: r["person_id"] for r in _read_csv(out / "ground_truth" / "contacts.csv")}
    gt_devices = {r["anonymous_id"]: r["person_id"] for r in _read_csv(out / "ground_truth" / "devices.csv")}
    persons = {r["person_id"] for r in _read_csv(out / "ground_truth" / "persons.csv")}
    contacts = _read_csv(out / "crm" / "contacts.csv")
    assert len(contacts) == CONTACTS
    assert [c["contact_id"] for c in contacts if c["contact_id"] not in gt_contacts] == []
    assert len({c["contact_id"] for c in contacts}) == CONTACTS
    assert set(gt_contacts.values()) <= persons and set(gt_devices.values()) <= persons
    for _, d, _ in classified[2]:
        if d is None:
            continue
        if d.get("userId"):
            assert d["userId"] in gt_contacts
        if d.get("anonymousId"):
            assert d["anonymousId"] in gt_devices
    orders = _read_csv(out / "orders" / "orders.csv")
    assert all(o["contact_id"] in gt_contacts for o in orders if o["contact_id"])


def test_identify_links_an_earlier_anonymous_device(classified):
    anon_only = set()
    linked = 0
    for _, d, _ in classified[2]:
        if d is None:
            continue
        aid, uid = d.get("anonymousId"), d.get("userId")
        if aid and not uid:
            anon_only.add(aid)
        elif d.get("type") == "identify" and aid and uid and aid in anon_only:
            linked += 1
    assert linked > 0


def test_gzip_every(out, manifest):
    days = sorted(p.name for p in (out / "events").iterdir())
    for k, day in enumerate(days):
        names = [f.name for f in (out / "events" / day).iterdir()]
        want_gz = (k + 1) % GZIP_EVERY == 0
        assert names and all(n.endswith(".jsonl.gz") == want_gz for n in names), (day, names)
    total = sum(len(_lines(f)) for _, f in _event_files(out))
    assert total == manifest["event_lines"]
    assert manifest["files"] == sum(1 for _ in _event_files(out))


def test_crm_mess_and_duplicates(out):
    contacts = _read_csv(out / "crm" / "contacts.csv")
    gt = _read_csv(out / "ground_truth" / "contacts.csv")
    per_person = Counter(r["person_id"] for r in gt)
    dup_persons = sum(1 for v in per_person.values() if v > 1)
    assert 0.05 < dup_persons / len(per_person) < 0.14
    assert max(per_person.values()) <= 3
    genders = Counter(c["gender"] for c in contacts)
    assert {"F", "M", ""} <= set(genders) and len(genders) >= 10
    assert {c["email_opt_in"] for c in contacts} <= {"true", "false", "1", "0", "yes", "no", ""}
    assert any(c["email"] != c["email"].strip() for c in contacts)
    assert any(c["email"] and c["email"] != c["email"].lower() for c in contacts)
    assert any(c["email"] and "@" not in c["email"] or c["email"].count("@") > 1 for c in contacts)
    assert any(c["email"] == "" for c in contacts)
    assert any(c["country"] not in ("DE", "FR", "GB", "US", "ES", "IT", "NL", "AT", "CH") for c in contacts)
    assert any(c["birth_date"] == "" for c in contacts)
    assert all(c["birth_date"] == "" or date.fromisoformat(c["birth_date"]) for c in contacts)
    assert len({c["phone"][:3] for c in contacts if c["phone"]}) > 10
    for c in contacts:
        assert datetime.fromisoformat(c["created_at"]) <= datetime.fromisoformat(c["updated_at"]) <= DEFAULT_AS_OF
    supp = _read_csv(out / "suppression" / "suppression.csv")
    assert supp and {s["reason"] for s in supp} <= {"unsubscribed", "bounced", "complained", "erasure"}
    assert 0.01 < len(supp) / len(contacts) < 0.06
    products = _read_csv(out / "catalog" / "products.csv")
    assert len(products) == 200 and any(p["is_new_arrival"] == "true" for p in products)
    assert all(p["url"].startswith("https://shop.example.com/") for p in products)


def test_behaviour_correlates_with_gender(out, classified):
    gt_contacts = {r["contact_id"]: r["person_id"] for r in _read_csv(out / "ground_truth" / "contacts.csv")}
    gt_devices = {r["anonymous_id"]: r["person_id"] for r in _read_csv(out / "ground_truth" / "devices.csv")}
    gender = {r["person_id"]: r["gender"] for r in _read_csv(out / "ground_truth" / "persons.csv")}
    views = {"female": Counter(), "male": Counter()}
    for _, _, d in classified[1]:
        if d.get("event") != "Product Viewed":
            continue
        pid = gt_devices.get(d.get("anonymousId")) or gt_contacts.get(d.get("userId"))
        g = gender[pid]
        if g in views:
            views[g][d["properties"]["category"]] += 1
    share = {g: c["Beauty"] / max(1, sum(c.values())) for g, c in views.items()}
    assert share["female"] > 2 * share["male"]


def test_progress_lines(runs):
    msgs = runs[4]
    assert any(m.startswith("events 2026-10-20:") for m in msgs)
    assert all("@" not in m for m in msgs)


def test_mid_day_as_of(tmp_path):
    as_of = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
    st = generate(tmp_path, contacts=400, days=3, seed=3, as_of=as_of)
    days = sorted(p.name for p in (tmp_path / "events").iterdir())
    assert days == ["2026-10-30", "2026-10-31", "2026-11-01"]
    counts, valid, _ = _classify(tmp_path)
    assert counts["event_lines"] == st.event_lines
    for day, ts, d in valid:
        end = datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=timezone.utc) + timedelta(days=1)
        assert ts <= as_of or ts >= end  # only the injected near-future events pass as_of


def test_workers_do_not_change_output(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    sa = generate(a, contacts=12_600, days=1, seed=5, workers=1)
    sb = generate(b, contacts=12_600, days=1, seed=5, workers=2)
    assert sa.files == 2  # two shards, one day
    fa, fb = _files(a), _files(b)
    assert fa.keys() == fb.keys() and all(fa[k] == fb[k] for k in fa)
