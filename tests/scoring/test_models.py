"""Behavior scoring models (dbt_project/models/marts/scoring) on a tiny hand-built warehouse, with hand-computed
numbers.

The warehouse holds fixture rows in identity.* (what the identity step writes) and staging.* (created by hand with
the columns the models read); dbt builds the intermediate models, profiles_cleaned and the scoring models on it,
with --vars from orchestration.lib.scoring.config.dbt_vars (a scoring file written by the test), as the Dagster asset does.

Settings of the test (SCORING below): half-life 7 days everywhere, scale 10; as_of 2026-11-01T00:00:00Z.
Decay: weight * 0.5 ^ (age_days / 7); squash: 100 * (1 - exp(-raw / 10)).
"""

import json
import math
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.scoring.config import dbt_vars, load_scoring
from tests.helpers.dbt import rows, run_dbt
from tests.helpers.fixture_tables import create_fixture_tables

pytestmark = pytest.mark.slow
AS_OF = "2026-11-01T00:00:00Z"
SCORING_MODELS = ("person_events", "person_orders", "behavior_features", "rfm", "category_affinity",
                  "behavior_scores")

SCORING = """\
engagement:
  half_life_days: 7
  scale: 10
  weights: {Product Viewed: 1, Product Added: 5, Checkout Started: 8, Order Completed: 10, Email Link Clicked: 3}
intent:
  window_days: 14
  half_life_days: 7
  scale: 10
  weights: {Product Viewed: 1, Product Added: 4, Checkout Started: 6}
affinity: {half_life_days: 7, scale: 10}
"""

# person_id <- identifiers
IDENTITY_MAP = [
    ("contact_id", "c1", "p_anna"), ("user_id", "u1", "p_anna"), ("anonymous_id", "a1", "p_anna"),
    ("contact_id", "c2", "p_ben"), ("anonymous_id", "a2", "p_ben"),
    ("contact_id", "c3", "p_cara"),                       # CRM only, created 7 days before as_of: new
    ("user_id", "u4", "p_dan"),                           # app account, no CRM record
    ("contact_id", "c5", "p_eve"),                        # one old order, no events: at_risk
    ("anonymous_id", "a6", "p_fay"),                      # one page view 10 months ago: dormant
]
# contact_id, email, created_at
CONTACTS = [("c1", "anna@example.com", "2025-01-01 00:00:00"), ("c2", "ben@example.com", "2025-01-01 00:00:00"),
            ("c3", "cara@example.com", "2026-10-25 00:00:00"), ("c5", "eve@example.com", "2025-01-01 00:00:00")]
# product_id, name, category, price, is_new_arrival
PRODUCTS = [("P1", "Phone", "Electronics", 100.00, True), ("P2", "Sneaker", "Shoes", 80.00, False),
            ("P3", "Novel", "Books", 20.00, False)]
# message_id, user_id, anonymous_id, event_type, event_name, page_name, product_id, price, order_id, order_total,
# occurred_at
EVENTS = [
    # anna: e6 before login (anonymous), weight 0; e1 view exactly 7 days (one half-life) ago; e2 add at the same
    # instant; e3 email click 14 days ago; e4 view at as_of; e5 a view the day after as_of (kept in person_events,
    # ignored by features and scores)
    ("e6", None, "a1", "page", None, "Home", None, None, None, None, "2026-10-11 00:00:00"),
    ("e1", "u1", None, "track", "Product Viewed", None, "P1", None, None, None, "2026-10-25 00:00:00"),
    ("e2", "u1", None, "track", "Product Added", None, "P1", None, None, None, "2026-10-25 00:00:00"),
    ("e3", "u1", None, "track", "Email Link Clicked", None, None, None, None, None, "2026-10-18 00:00:00"),
    ("e4", "u1", None, "track", "Product Viewed", None, "P2", 75.0, None, None, "2026-11-01 00:00:00"),
    ("e5", "u1", None, "track", "Product Viewed", None, "P1", None, None, None, "2026-11-02 00:00:00"),
    # ben: o1's event duplicates the orders table's row; o2 is refunded in the table; o9 is only an event
    ("e10", None, "a2", "track", "Order Completed", None, None, None, "o1", 50.0, "2026-10-04 00:00:00"),
    ("e11", None, "a2", "track", "Order Completed", None, None, None, "o2", 30.0, "2026-10-11 00:00:00"),
    ("e12", None, "a2", "track", "Order Completed", None, None, None, "o9", 20.0, "2026-10-25 00:00:00"),
    ("e13", None, "a2", "track", "Checkout Started", None, None, None, None, None, "2026-11-01 00:00:00"),
    ("e14", None, "a2", "track", "Product Added", None, "P2", None, None, None, "2026-11-01 00:00:00"),
    # dan: pages 30 min apart (same session), then 30 min 1 s (a new one); a day before as_of an add + checkout
    ("d1", "u4", None, "page", None, "Home", None, None, None, None, "2026-10-30 10:00:00"),
    ("d2", "u4", None, "page", None, "Shoes", None, None, None, None, "2026-10-30 10:30:00"),
    ("d3", "u4", None, "page", None, "Cart", None, None, None, None, "2026-10-30 11:00:01"),
    ("d4", "u4", None, "track", "Product Added", None, "P2", None, None, None, "2026-10-31 00:00:00"),
    ("d5", "u4", None, "track", "Checkout Started", None, None, None, None, None, "2026-10-31 00:00:00"),
    # fay
    ("f1", None, "a6", "page", None, "Home", None, None, None, None, "2026-01-01 00:00:00"),
]
# order_id, contact_id, ordered_at, status, total
ORDERS = [("o1", "c2", "2026-10-04 00:00:00", "completed", 50.00), ("o2", "c2", "2026-10-11 00:00:00", "refunded", 30.00),
          ("o3", "c5", "2026-07-01 00:00:00", "completed", 100.00)]
# order_id, product_id, quantity, unit_price
ORDER_ITEMS = [("o1", "P1", 1, 30.00), ("o1", "P3", 1, 20.00), ("o2", "P2", 1, 30.00), ("o3", "P3", 5, 20.00)]


def _load_fixture(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        create_fixture_tables(con)
        for i, (cid, email, created) in enumerate(CONTACTS):
            con.execute("""insert into identity.contacts_normalized (contact_id, email, email_status, phone_status,
                           email_opt_in, created_at, updated_at, source_file, line_no)
                           values (?, ?, 'valid', 'empty', true, ?, ?, 'crm/contacts.csv', ?)""",
                        [cid, email, created, created, i + 2])
        con.executemany("insert into identity.identity_map values (?, ?, ?, 'self', 1.0)", IDENTITY_MAP)
        con.execute("""insert into identity.clusters select person_id, count(*) filter (where id_type = 'contact_id'),
                       1.0 from identity.identity_map group by person_id""")
        for i, (mid, uid, aid, etype, ename, page, pid, price, oid, total, at) in enumerate(EVENTS):
            props = {k: v for k, v in (("product_id", pid), ("price", price), ("order_id", oid), ("total", total))
                     if v is not None}
            con.execute("""insert into staging.stg_tracking__events (message_id, user_id, anonymous_id, event_type,
                           event_name, page_name, properties, product_id, price, order_id, order_total,
                           occurred_at, received_date, is_late_arrival, source_file, line_no)
                           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, cast(? as date), false, 'events.jsonl', ?)""",
                        [mid, uid, aid, etype, ename, page, json.dumps(props), pid, price, oid, total, at, at, i + 1])
        for i, (oid, cid, at, status, total) in enumerate(ORDERS):
            con.execute("insert into staging.stg_shop__orders values (?, ?, null, ?, ?, 'EUR', ?, false, 'orders.csv', ?)",
                        [oid, cid, at, status, total, i + 2])
        for i, (oid, pid, qty, unit) in enumerate(ORDER_ITEMS):
            con.execute("insert into staging.stg_shop__order_items values (?, ?, ?, ?, ?, 'order_items.csv', ?)",
                        [f"{oid}:order_items.csv:{i + 2}", oid, pid, qty, unit, i + 2])
        for i, (pid, name, category, price, new) in enumerate(PRODUCTS):
            con.execute("""insert into staging.stg_shop__products values (?, ?, ?, null, ?, ?, '2026-01-01 00:00:00',
                           null, null, 'products.csv', ?)""", [pid, name, category, price, new, i + 2])


def run_scoring_dbt(root: Path, warehouse: Path, args: list[str], as_of: str = AS_OF) -> str:
    return run_dbt(root, warehouse, args, dbt_vars(load_scoring(_scoring_file(root)), as_of))


def _scoring_file(root: Path) -> Path:
    path = root / "scoring.yml"
    if not path.exists():
        path.write_text(SCORING, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture warehouse after `dbt build` of the scoring models and their parents (not staging)."""
    root = tmp_path_factory.mktemp("scoring")
    warehouse = (root / "warehouse.duckdb").resolve()
    _load_fixture(warehouse)
    out = run_scoring_dbt(root, warehouse, ["build", "--select", "+path:models/marts/scoring",
                                            "--exclude", "path:models/staging",
                                            "--indirect-selection", "cautious"])   # no tests of unselected profile_emails
    return root, warehouse, out


def by_person(warehouse: Path, model: str) -> dict[str, dict]:
    return {r["person_id"]: r for r in rows(warehouse, f"select * from scoring.{model}")}


def squash(raw: float) -> float:
    return round(100 * (1 - math.exp(-raw / 10)), 2)


def test_dbt_build_runs_the_scoring_unit_and_data_tests(built):
    _, _, out = built
    for name in ("behavior_scores::behavior_scores_engagement_decays_by_half_life",
                 "behavior_features::behavior_features_windows_are_half_open",
                 "rfm::rfm_quintiles_over_buyers_with_ties_by_person_id",
                 "behavior_scores::behavior_scores_tier_first_match_wins",
                 "accepted_values_behavior_scores_tier",
                 "value_between_behavior_scores_engagement__100__0"):
        assert f"PASS {name}" in out, name
    assert "WARN=0 ERROR=0" in out


def test_person_events_keeps_every_event_with_catalog_and_sessions(built):
    _, wh, _ = built
    ev = {r["message_id"]: r for r in rows(wh, "select * from scoring.person_events")}
    assert set(ev) == {e[0] for e in EVENTS}                     # e5 (after as_of) included
    e1 = ev["e1"]
    assert (e1["person_id"], e1["product_name"], e1["product_category"], e1["product_price"]) == (
        "p_anna", "Phone", "Electronics", 100)
    assert e1["product_is_new_arrival"] is True and json.loads(e1["properties"]) == {"product_id": "P1"}
    assert ev["e6"]["person_id"] == "p_anna"                     # the anonymous page view before login
    # anna: e6 | e1 e2 (same instant) | e4 | e5; the email click e3 has no session
    assert [ev[m]["session_id"] for m in ("e6", "e1", "e2", "e4", "e5", "e3")] == [
        "p_anna:1", "p_anna:2", "p_anna:2", "p_anna:3", "p_anna:4", None]
    # dan: a 30-minute gap keeps the session, 30 minutes and 1 second starts a new one
    assert [ev[m]["session_id"] for m in ("d1", "d2", "d3", "d4", "d5")] == [
        "p_dan:1", "p_dan:1", "p_dan:2", "p_dan:3", "p_dan:3"]
    expected_columns = {"message_id", "person_id", "event_type", "event_name", "page_name", "occurred_at",
                        "properties", "product_id", "category", "price", "quantity", "cart_id", "order_id",
                        "order_total", "campaign_id", "email_id", "variant", "url", "product_name",
                        "product_category", "product_subcategory", "product_price", "product_is_new_arrival",
                        "product_launched_at", "session_id"}
    assert expected_columns <= set(e1)


def test_person_orders_prefers_the_orders_table_and_counts_each_order_once(built):
    _, wh, _ = built
    po = {r["purchase_id"]: (r["person_id"], r["source"], str(r["ordered_at"]), float(r["order_total"]))
          for r in rows(wh, "select * from scoring.person_orders")}
    # o1: table row (its event is not a second purchase); o2: refunded in the table, its event ignored too;
    # o9: only an event
    assert po == {"o1": ("p_ben", "orders", "2026-10-04 00:00:00", 50.0),
                  "o9": ("p_ben", "events", "2026-10-25 00:00:00", 20.0),
                  "o3": ("p_eve", "orders", "2026-07-01 00:00:00", 100.0)}


def test_behavior_features_counts_windows_purchases_and_prices(built):
    _, wh, _ = built
    f = by_person(wh, "behavior_features")
    assert set(f) == {"p_anna", "p_ben", "p_cara", "p_dan", "p_eve", "p_fay"}
    anna = f["p_anna"]
    # e1 is exactly 7 days old: outside 7d (half-open), inside 30d; e5 is after as_of: nowhere
    assert (anna["product_viewed_7d"], anna["product_viewed_30d"], anna["product_added_30d"]) == (1, 2, 1)
    assert (anna["email_clicked_30d"], anna["page_viewed_30d"], anna["events_7d"], anna["events_30d"]) == (1, 1, 1, 5)
    assert (anna["sessions_30d"], anna["days_since_last_event"], str(anna["last_event_at"])) == (
        3, 0, "2026-11-01 00:00:00")
    assert float(anna["avg_viewed_price_90d"]) == 87.5          # (catalog 100 + event's own 75) / 2
    assert str(anna["first_seen_at"]) == "2025-01-01 00:00:00" and anna["orders_total"] == 0
    ben = f["p_ben"]
    assert (ben["orders_total"], ben["orders_30d"], ben["orders_365d"], float(ben["revenue_365d"])) == (2, 2, 2, 70.0)
    assert ben["order_completed_30d"] == 3                       # the events themselves, o2's included
    assert (str(ben["last_order_at"]), ben["days_since_last_order"]) == ("2026-10-25 00:00:00", 7)
    assert float(ben["avg_order_value_365d"]) == 35.0
    assert float(ben["avg_purchased_price_365d"]) == 25.0       # o1's lines 30 and 20 (o9 is an event: no lines)
    cara = f["p_cara"]
    assert (cara["events_90d"], cara["last_event_at"], str(cara["first_seen_at"])) == (0, None, "2026-10-25 00:00:00")
    assert f["p_dan"]["sessions_30d"] == 3
    eve = f["p_eve"]
    assert (eve["has_ordered"], eve["days_since_last_activity"], str(eve["last_activity_at"])) == (
        True, 123, "2026-07-01 00:00:00")
    assert float(eve["avg_purchased_price_365d"]) == 20.0 and anna["avg_purchased_price_365d"] is None


def test_behavior_scores_engagement_intent_rfm_and_tiers(built):
    _, wh, _ = built
    s = by_person(wh, "behavior_scores")
    anna = s["p_anna"]
    # engagement: e1 1 * 0.5 + e2 5 * 0.5 + e3 3 * 0.25 (14 days) + e4 1 * 1 = 4.75 (e5, e6 count 0)
    assert float(anna["engagement_raw"]) == 4.75 and anna["engagement"] == squash(4.75) == 37.81
    # intent (window 14 days): e1 1 * 0.5 + e2 4 * 0.5 + e4 1 * 1 = 3.5
    assert float(anna["intent_raw"]) == 3.5 and anna["intent"] == squash(3.5) == 29.53
    assert (anna["tier"], anna["rfm_code"], anna["top_category"]) == ("casual", None, "Electronics")
    ben = s["p_ben"]
    # o1 10 * 0.5^4 (28 days) + o9 10 * 0.5 + checkout 8 + add 5 = 18.625 (no event counted twice)
    assert float(ben["engagement_raw"]) == 18.625 and ben["engagement"] == 84.47
    # intent: the checkout (6) and the add (4) came after the last purchase (o9): 10
    assert float(ben["intent_raw"]) == 10 and ben["intent"] == 63.21
    assert ben["tier"] == "highly_engaged"
    dan = s["p_dan"]
    # add 5 + checkout 8, one day old: 13 * 0.5^(1/7) = 11.774 -> 69.19 (just below 70); intent 10 * 0.5^(1/7)
    assert dan["engagement"] == squash(13 * 0.5 ** (1 / 7)) == 69.19
    assert dan["intent"] == squash(10 * 0.5 ** (1 / 7)) == 59.58
    assert dan["tier"] == "potential_buyer"                     # first seen 2 days ago, but potential_buyer wins
    assert s["p_cara"]["tier"] == "new"                          # CRM record 7 days old, never active
    assert s["p_eve"]["tier"] == "at_risk"                       # bought 123 days ago, nothing since
    assert s["p_fay"]["tier"] == "dormant"                       # last seen 304 days ago
    # RFM over the two buyers (ntile(5) of 2 rows: 1 and 2): ben more recent and more frequent, eve spent more
    assert {k: (v["rfm_recency"], v["rfm_frequency"], v["rfm_monetary"], v["rfm_code"])
            for k, v in s.items() if v["rfm_code"]} == {"p_ben": (2, 2, 1, "221"), "p_eve": (1, 1, 2, "112")}
    assert all(v["tier"] for v in s.values()) and all(str(v["as_of"]) == "2026-11-01 00:00:00" for v in s.values())


def test_category_affinity_decays_and_ranks(built):
    _, wh, _ = built
    aff = {(r["person_id"], r["category"]): r for r in rows(wh, "select * from scoring.category_affinity")}
    assert set(aff) == {("p_anna", "Electronics"), ("p_anna", "Shoes"), ("p_ben", "Shoes"), ("p_ben", "Books"),
                        ("p_ben", "Electronics"), ("p_dan", "Shoes"), ("p_eve", "Books")}
    e, s = aff[("p_anna", "Electronics")], aff[("p_anna", "Shoes")]
    # Electronics: view 1 * 0.5 + add 5 * 0.5 = 3.0; Shoes: the view at as_of, 1.0 (the view after as_of ignored)
    assert (float(e["affinity_raw"]), e["affinity"], e["events"], e["share"], e["affinity_rank"]) == (
        3.0, 25.92, 2, 0.6667, 1)
    assert (float(s["affinity_raw"]), s["affinity"], s["events"], s["share"], s["affinity_rank"]) == (
        1.0, 9.52, 1, 0.3333, 2)
    # ben: purchased order lines of o1 (28 days: 10 * 0.0625 each), the add of P2 at as_of (5); the tie between
    # Books and Electronics is broken by the category name
    assert {c: (float(aff[("p_ben", c)]["affinity_raw"]), aff[("p_ben", c)]["affinity_rank"])
            for c in ("Shoes", "Books", "Electronics")} == {"Shoes": (5.0, 1), "Books": (0.625, 2),
                                                             "Electronics": (0.625, 3)}


def _copy(built, name: str) -> Path:
    root, warehouse, _ = built
    target = root / f"{name}.duckdb"
    shutil.copy(warehouse, target)
    return target


def test_scores_are_reproducible_and_follow_as_of(built):
    root, wh, _ = built
    snapshot = {m: rows(wh, f"select * from scoring.{m} order by all") for m in SCORING_MODELS}
    again = _copy(built, "again")
    run_scoring_dbt(root, again, ["run", "--select", "path:models/marts/scoring"])
    assert {m: rows(again, f"select * from scoring.{m} order by all") for m in SCORING_MODELS} == snapshot
    later = _copy(built, "later")
    run_scoring_dbt(root, later, ["run", "--select", "path:models/marts/scoring"], as_of="2026-11-02T12:00:00+00:00")
    anna = by_person(later, "behavior_features")["p_anna"]
    assert (str(anna["as_of"]), anna["product_viewed_7d"], str(anna["last_event_at"])) == (
        "2026-11-02 12:00:00", 2, "2026-11-02 00:00:00")          # e5 now counts
