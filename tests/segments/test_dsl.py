"""The segment language: every rule of docs/segments.md at its boundary, on an in-memory DuckDB."""

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.lib.core.paths import REPO_ROOT
from orchestration.lib.segments import dsl
from orchestration.lib.segments.dsl import (
    DEFAULT_SCHEMA,
    Attribute,
    SegmentError,
    compile_segment,
    evaluation_ddl,
    parse_duration,
    parse_segment,
    validate_dir,
    validate_segments,
)

AS_OF = datetime(2024, 6, 1, 12, 0, 0)
SEGMENTS_DIR = REPO_ROOT / "segments"
SCHEMA = DEFAULT_SCHEMA.extend(attributes={"gender": dsl.enriched("string")})   # gender with provenance columns


def ago(**kw) -> datetime:
    return AS_OF - timedelta(**kw)


def _insert(con, table, rows):
    """All rows in one statement (columns: the union; absent ones NULL)."""
    if not rows:
        return
    cols = list(dict.fromkeys(c for r in rows for c in r))
    marks = ", ".join(["(" + ", ".join("?" for _ in cols) + ")"] * len(rows))
    con.execute(f"insert into {table} ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in cols)}) values {marks}",
                [r.get(c) for r in rows for c in cols])


_CON = duckdb.connect()      # one in-memory database for the module (connecting costs more than a test)


def make_db(people=(), events=(), scores=(), affinity=(), schema=SCHEMA):
    """people: person_id or dicts with attributes; events: (person, name, at, properties[, message_id]).
    The evaluation relations are replaced on every call."""
    con = _CON
    for ddl in evaluation_ddl(schema, replace=True):
        con.execute(ddl)
    _insert(con, "seg_profiles", [{"person_id": p} if isinstance(p, str) else p for p in people])
    rows = []
    for i, ev in enumerate(events):
        person, name, at, props = ev[:4]
        message_id = ev[4] if len(ev) > 4 else f"m{i}"
        row = {"message_id": message_id, "person_id": person, "event_name": name, "event_type": "track",
               "occurred_at": at, "properties": json.dumps(props)}
        for key, value in props.items():
            prop = schema.event_properties.get(key)
            if prop:
                row[prop.column] = value
            elif key.startswith("product_"):
                row[key] = value
        rows.append(row)
    _insert(con, "seg_events", rows)
    _insert(con, "seg_scores", list(scores))
    _insert(con, "seg_affinity", [dict(zip(("person_id", "category", "affinity"), a)) for a in affinity])
    return con


def members(con, rules, others=None, schema=SCHEMA, as_of=AS_OF) -> list[str]:
    docs = {"t.yml": {"name": "t", "rules": rules}}
    for name, r in (others or {}).items():
        docs[f"{name}.yml"] = {"name": name, "rules": r}
    results = validate_segments(docs, schema)
    errors = [str(i) for r in results for i in r.errors]
    assert not errors, errors
    segments = {r.segment.name: r.segment for r in results}
    return compile_segment("t", segments, schema).members(con, as_of)


def errors_of(doc, schema=SCHEMA, others=None) -> list[str]:
    docs = {"segments/t.yml": doc, **(others or {})}
    return [str(i) for i in validate_segments(docs, schema)[0].errors]


# ------------------------------------------------------------------------------------------- durations

@pytest.mark.parametrize("text, seconds", [("30m", 1800), ("24h", 86400), ("7d", 604800), ("2w", 1209600)])
def test_parse_duration_valid_units_seconds(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["7 days", "0d", "7", 7, "1y", "-1d", "", None, "1.5h"])
def test_parse_duration_invalid_raises(text):
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)


# ------------------------------------------------------------------------------------------------ windows

VIEWED_30D = {"performed": "Product Viewed", "within": "30d"}


@pytest.mark.parametrize("at, member", [
    (ago(days=30), False),                       # exactly as_of - window: out
    (ago(days=30) + timedelta(seconds=1), True),  # one second later: in
    (AS_OF, True),                                # exactly as_of: in
    (AS_OF + timedelta(seconds=1), False),        # after as_of: ignored
])
def test_within_boundaries_half_open(at, member):
    con = make_db(["ann"], [("ann", "Product Viewed", at, {})])
    assert members(con, VIEWED_30D) == (["ann"] if member else [])


@pytest.mark.parametrize("at, member", [
    (datetime(2024, 5, 1), True),                          # start included
    (datetime(2024, 5, 1) - timedelta(seconds=1), False),
    (datetime(2024, 5, 10) - timedelta(seconds=1), True),
    (datetime(2024, 5, 10), False),                        # end excluded
])
def test_between_window_inclusive_start_exclusive_end(at, member):
    con = make_db(["ann"], [("ann", "Product Viewed", at, {})])
    rules = {"performed": "Product Viewed", "between": ["2024-05-01T00:00:00Z", "2024-05-10"]}
    assert members(con, rules) == (["ann"] if member else [])


def test_between_window_past_as_of_ignores_future_events():
    con = make_db(["ann"], [("ann", "Product Viewed", AS_OF + timedelta(hours=1), {})])
    assert members(con, {"performed": "Product Viewed", "between": ["2024-05-01", "2024-07-01"]}) == []


@pytest.mark.parametrize("rules", [
    {"performed": "Product Viewed"},
    {"performed": "Product Viewed", "within": "7d"},
])
def test_performed_future_event_ignored(rules):
    con = make_db(["ann"], [("ann", "Product Viewed", AS_OF + timedelta(minutes=1), {})])
    assert members(con, rules) == []
    assert members(con, {**rules, "count": {"eq": 0}}) == ["ann"]


def test_within_timezone_aware_as_of_is_utc():
    con = make_db(["ann"], [("ann", "Product Viewed", ago(hours=1), {})])
    assert members(con, {"performed": "Product Viewed", "within": "2h"}, as_of="2024-06-01T14:00:00+02:00") == ["ann"]


# ---------------------------------------------------------------------------------------- not_followed_by

ABANDONED = {"performed": "Product Added", "where": {"category": "Electronics"},
             "not_followed_by": {"event": "Order Completed", "within": "24h"}}


@pytest.mark.parametrize("added, ordered, member", [
    (ago(hours=23, minutes=59), None, False),                                 # grace not over yet
    (ago(hours=24), None, True),                                              # t + 24h == as_of: over
    (ago(days=3), ago(days=3) + timedelta(hours=23, minutes=59), False),      # rescued at 23h59m
    (ago(days=3), ago(days=3) + timedelta(hours=24), False),                  # (t, t + D2] includes the end
    (ago(days=3), ago(days=3) + timedelta(hours=24, minutes=1), True),        # 24h01m: too late
    (ago(days=3), ago(days=3) - timedelta(hours=1), True),                    # an order before the add
    (ago(days=3), ago(days=3), True),                                         # same instant: not after
])
def test_not_followed_by_grace_boundaries(added, ordered, member):
    events = [("ann", "Product Added", added, {"category": "Electronics"})]
    if ordered is not None:
        events.append(("ann", "Order Completed", ordered, {"total": 10.0}))
    con = make_db(["ann"], events)
    assert members(con, ABANDONED) == (["ann"] if member else [])


def test_not_followed_by_where_only_matching_follow_up_rescues():
    con = make_db(["ann"], [("ann", "Product Added", ago(days=3), {"category": "Electronics"}),
                            ("ann", "Order Completed", ago(days=3) + timedelta(hours=1), {"total": 5.0})])
    rules = {**ABANDONED, "not_followed_by": {"event": "Order Completed", "within": "24h",
                                              "where": {"total": {"gte": 100}}}}
    assert members(con, rules) == ["ann"]


def test_not_followed_by_count_applies_to_qualifying_occurrences():
    con = make_db(["ann"], [
        ("ann", "Product Added", ago(days=5), {"category": "Electronics"}),
        ("ann", "Order Completed", ago(days=5) + timedelta(hours=2), {"total": 5.0}),
        ("ann", "Product Added", ago(days=2), {"category": "Electronics"})])
    assert members(con, ABANDONED) == ["ann"]
    assert members(con, {**ABANDONED, "count": {"gte": 2}}) == []
    assert members(con, {**ABANDONED, "count": {"eq": 1}}) == ["ann"]


def test_not_followed_by_aggregate_applies_to_qualifying_occurrences():
    con = make_db(["ann"], [
        ("ann", "Product Added", ago(days=5), {"price": 400.0}),
        ("ann", "Order Completed", ago(days=5) + timedelta(hours=2), {}),
        ("ann", "Product Added", ago(days=2), {"price": 50.0})])
    rules = {"performed": "Product Added", "not_followed_by": {"event": "Order Completed", "within": "24h"},
             "aggregate": {"fn": "sum", "of": "price", "gte": 100}}
    assert members(con, rules) == []
    assert members(con, {**rules, "aggregate": {"fn": "max", "of": "price", "eq": 50}}) == ["ann"]


# ------------------------------------------------------------------------------------------------- count

def test_count_redelivered_view_counts_once():
    con = make_db(["ann"], [("ann", "Product Viewed", ago(days=1), {}, "v1"),
                            ("ann", "Product Viewed", ago(days=1), {}, "v1")])
    assert members(con, {**VIEWED_30D, "count": {"gte": 2}}) == []
    assert members(con, {**VIEWED_30D, "count": {"eq": 1}}) == ["ann"]


@pytest.mark.parametrize("count, expected", [
    ({"gte": 2}, ["bob"]), ({"eq": 0}, ["cat"]), ({"equals": 1}, ["ann"]), ({"lt": 2}, ["ann", "cat"]),
    ({"between": [1, 2]}, ["ann", "bob"]), ({"not_equals": 1}, ["bob", "cat"]), ({"gt": 0, "lte": 1}, ["ann"]),
])
def test_count_operators_people_selected(count, expected):
    con = make_db(["ann", "bob", "cat"], [("ann", "Product Viewed", ago(days=1), {}),
                                          ("bob", "Product Viewed", ago(days=1), {}),
                                          ("bob", "Product Viewed", ago(days=2), {})])
    assert members(con, {**VIEWED_30D, "count": count}) == expected


def test_performed_anonymous_view_before_login_counts():
    # the identity step attributes the pre-login (anonymous) view to the person; the compiler must not
    # filter on user ids: the row has user_id NULL and only an anonymous_id.
    con = make_db(["ann"])
    con.execute("alter table seg_events add column user_id varchar")
    con.execute("alter table seg_events add column anonymous_id varchar")
    con.execute("insert into seg_events (message_id, person_id, event_name, occurred_at, properties, user_id, "
                "anonymous_id) values ('a1', 'ann', 'Product Viewed', ?, '{}', NULL, 'device-1'), "
                "('a2', 'ann', 'Product Viewed', ?, '{}', 'u1', NULL)", [ago(days=3), ago(days=1)])
    assert members(con, {**VIEWED_30D, "count": {"gte": 2}}) == ["ann"]
    sql = dsl.compile_segment("t", {"t": parse_segment({"name": "t", "rules": VIEWED_30D})}).sql
    assert "user_id" not in sql and "anonymous" not in sql


def test_performed_any_of_names_counts_all():
    con = make_db(["ann"], [("ann", "Signed In", ago(days=1), {}), ("ann", "Order Completed", ago(days=2), {})])
    assert members(con, {"performed": {"any_of": ["Signed In", "Order Completed"]}, "count": {"gte": 2}}) == ["ann"]


def test_performed_event_names_case_sensitive():
    con = make_db(["ann"], [("ann", "product viewed", ago(days=1), {})])
    assert members(con, VIEWED_30D) == []


# --------------------------------------------------------------------------------------------- aggregate

ORDERS = [("ann", "Order Completed", ago(days=1), {"total": 300.0}),
          ("ann", "Order Completed", ago(days=2), {"total": 250.0}),
          ("ann", "Order Completed", ago(days=400), {"total": 1000.0}),
          ("bob", "Order Completed", ago(days=1), {"total": 100.0})]


@pytest.mark.parametrize("aggregate, expected", [
    ({"fn": "sum", "of": "total", "gte": 500}, ["ann"]),
    ({"fn": "sum", "of": "total", "gte": 551}, []),
    ({"fn": "avg", "of": "total", "eq": 275}, ["ann"]),
    ({"fn": "min", "of": "total", "lte": 100}, ["bob"]),
    ({"fn": "max", "of": "total", "between": [250, 300]}, ["ann"]),
    ({"fn": "sum", "of": "order_total", "lt": 200}, ["bob"]),
])
def test_aggregate_functions_over_window(aggregate, expected):
    con = make_db(["ann", "bob", "cat"], ORDERS)
    assert members(con, {"performed": "Order Completed", "within": "365d", "aggregate": aggregate}) == expected


def test_aggregate_sum_over_no_events_is_zero():
    con = make_db(["ann", "cat"], ORDERS[:1])
    rules = {"performed": "Order Completed", "count": {"gte": 0}, "aggregate": {"fn": "sum", "of": "total", "lt": 1}}
    assert members(con, rules) == ["cat"]
    rules["aggregate"] = {"fn": "avg", "of": "total", "lt": 1}          # avg of nothing is missing: false
    assert members(con, rules) == []


def test_aggregate_redelivery_read_once():
    con = make_db(["ann"], [("ann", "Order Completed", ago(days=1), {"total": 300.0}, "o1"),
                            ("ann", "Order Completed", ago(days=1), {"total": 300.0}, "o1")])
    assert members(con, {"performed": "Order Completed", "aggregate": {"fn": "sum", "of": "total", "gt": 300}}) == []


def test_aggregate_json_property_numeric():
    con = make_db(["ann"], [("ann", "Checkout Started", ago(days=1), {"value": "120.5"}),
                            ("ann", "Checkout Started", ago(days=2), {"value": 10})])
    rules = {"performed": "Checkout Started", "aggregate": {"fn": "sum", "of": "value", "eq": 130.5}}
    assert members(con, rules) == ["ann"]


# ---------------------------------------------------------------------------------------- where filters

@pytest.mark.parametrize("where, expected", [
    ({"category": "Electronics"}, ["ann"]),
    ({"category": "electronics"}, []),                          # case-sensitive
    ({"price": {"gte": 100}}, ["ann"]),
    ({"price": {"gt": 100, "lt": 200}}, ["ann"]),
    ({"price": {"between": [1, 99]}}, ["bob"]),
    ({"category": {"not_equals": "Books"}}, ["ann"]),           # bob's view has no category: false
    ({"category": {"is_null": True}}, ["bob"]),
    ({"category": {"in": ["Books", "Electronics"]}}, ["ann"]),
    ({"category": {"not_in": ["Books"]}}, ["ann"]),
    ({"coupon": "SAVE10"}, ["bob"]),                            # JSON property
    ({"coupon": {"starts_with": "SAVE"}}, ["bob"]),
    ({"coupon": {"contains": "10"}}, ["bob"]),
    ({"rating": {"gte": 4}}, ["ann"]),                          # JSON number
    ({"gift": True}, ["bob"]),                                  # JSON boolean
    ({"product.is_new_arrival": True}, ["ann"]),
    ({"product.is_new_arrival": False}, []),                    # bob's product is unknown: missing
    ({"product.category": "Phones"}, ["ann"]),
])
def test_where_filters_people_selected(where, expected):
    con = make_db(["ann", "bob"], [
        ("ann", "Product Viewed", ago(days=1), {"category": "Electronics", "price": 150.0, "rating": 4.5,
                                                "product_is_new_arrival": True, "product_category": "Phones"}),
        ("bob", "Product Viewed", ago(days=1), {"price": 20.0, "coupon": "SAVE10", "gift": True})])
    assert members(con, {"performed": "Product Viewed", "where": where}) == expected


# ------------------------------------------------------------------------------------ two-valued logic

PEOPLE = [
    {"person_id": "ann", "gender": "female", "email": "Ann@Example.COM", "country": "DE",
     "birth_date": date(1990, 1, 1)},
    {"person_id": "bob", "gender": "male", "email": "bob@example.org", "country": "FR"},
    {"person_id": "cat"},                                                   # nothing known
    {"person_id": "dan", "gender": "Female", "country": "DE"},              # not normalised: case matters
]


@pytest.mark.parametrize("rules, expected", [
    ({"attribute": "gender", "equals": "female"}, ["ann"]),
    ({"attribute": "gender", "not_equals": "female"}, ["bob", "dan"]),              # cat's missing: false
    ({"not": {"attribute": "gender", "equals": "female"}}, ["bob", "cat", "dan"]),  # not: unknown included
    ({"attribute": "gender", "not_in": ["female"]}, ["bob", "dan"]),
    ({"not": {"attribute": "gender", "in": ["female", "male"]}}, ["cat", "dan"]),
    ({"attribute": "gender", "is_null": True}, ["cat"]),
    ({"attribute": "gender", "is_null": False}, ["ann", "bob", "dan"]),
    ({"not": {"attribute": "gender", "not_equals": "female"}}, ["ann", "cat"]),
    ({"not": {"not": {"attribute": "gender", "equals": "female"}}}, ["ann"]),
    ({"attribute": "email", "equals": "ann@example.com"}, ["ann"]),                # email lower-cased
    ({"attribute": "email", "equals": "BOB@EXAMPLE.ORG"}, ["bob"]),
    ({"attribute": "email", "contains": "EXAMPLE.com"}, ["ann"]),
    ({"attribute": "email", "in": ["ANN@example.com", "x@y.z"]}, ["ann"]),
    ({"attribute": "country", "starts_with": "D"}, ["ann", "dan"]),
    ({"attribute": "country", "contains": "e"}, []),                               # case-sensitive
    ({"attribute": "birth_date", "lt": "1995-01-01"}, ["ann"]),
    ({"attribute": "birth_date", "between": [date(1990, 1, 1), date(1990, 1, 1)]}, ["ann"]),
    ({"all": [{"attribute": "country", "equals": "DE"},
              {"any": [{"attribute": "gender", "equals": "female"}, {"attribute": "gender", "is_null": True}]}]},
     ["ann"]),
    ({"any": [{"not": {"all": [{"attribute": "country", "equals": "DE"}, {"attribute": "gender", "equals": "Female"}]}},
              {"attribute": "email", "is_null": False}]}, ["ann", "bob", "cat"]),
    ({"not": {"any": [{"attribute": "country", "in": ["DE", "FR"]}]}}, ["cat"]),
])
def test_logic_two_valued_people_selected(rules, expected):
    assert members(make_db(PEOPLE), rules) == expected


@pytest.mark.parametrize("birth_date, age", [
    (date(1999, 6, 1), 25),     # birthday on as_of
    (date(1999, 6, 2), 24),     # birthday tomorrow
    (date(1999, 5, 31), 25),
    (date(2000, 2, 29), 24),
])
def test_age_full_years_at_as_of(birth_date, age):
    con = make_db([{"person_id": "ann", "birth_date": birth_date}])
    assert members(con, {"attribute": "age", "equals": age}) == ["ann"]
    assert members(con, {"attribute": "age", "equals": age + 1}) == []


def test_age_leap_day_birthday_counts_from_march_first():
    con = make_db([{"person_id": "ann", "birth_date": date(2000, 2, 29)}])
    assert members(con, {"attribute": "age", "equals": 22}, as_of=datetime(2023, 2, 28)) == ["ann"]
    assert members(con, {"attribute": "age", "equals": 23}, as_of=datetime(2023, 3, 1)) == ["ann"]


def test_age_missing_birth_date_never_matches():
    con = make_db(["cat"])
    assert members(con, {"attribute": "age", "lt": 200}) == []
    assert members(con, {"not": {"attribute": "age", "gte": 0}}) == ["cat"]


# ------------------------------------------------------------------------------- provenance / confidence

PROVENANCE_PEOPLE = [
    {"person_id": "ann", "gender": "female", "gender__provenance": "declared", "gender__confidence": 1.0,
     "city_type": "urban", "city_type__provenance": "inferred", "city_type__confidence": 0.7},
    {"person_id": "bob", "gender": "female", "gender__provenance": "inferred", "gender__confidence": 0.9,
     "city_type": "urban", "city_type__provenance": "reference", "city_type__confidence": 1.0},
]


@pytest.mark.parametrize("rules, expected", [
    ({"attribute": "city_type", "equals": "urban"}, ["ann", "bob"]),
    ({"attribute": "city_type", "equals": "urban", "provenance": ["declared"]}, []),
    ({"attribute": "city_type", "equals": "urban", "provenance": ["inferred"]}, ["ann"]),
    ({"attribute": "city_type", "equals": "urban", "provenance": ["reference", "third_party"]}, ["bob"]),
    ({"attribute": "city_type", "equals": "urban", "min_confidence": 0.8}, ["bob"]),
    ({"attribute": "city_type", "equals": "urban", "min_confidence": 0.7}, ["ann", "bob"]),
    ({"attribute": "city_type", "is_null": True, "provenance": ["declared"]}, ["ann", "bob"]),  # not accepted: missing
    ({"not": {"attribute": "city_type", "equals": "urban", "provenance": ["inferred"]}}, ["bob"]),
    ({"attribute": "gender", "equals": "female", "provenance": ["declared"]}, ["ann"]),
    ({"attribute": "gender", "equals": "female", "min_confidence": 0.95}, ["ann"]),
])
def test_provenance_and_confidence_filter_values(rules, expected):
    assert members(make_db(PROVENANCE_PEOPLE), rules) == expected


@pytest.mark.parametrize("rules, expected", [
    ({"attribute": "postal_code", "equals": "10115", "provenance": ["declared"]}, ["ann"]),
    ({"attribute": "postal_code", "equals": "10115", "provenance": ["inferred"]}, []),
    ({"attribute": "postal_code", "equals": "10115", "min_confidence": 1}, ["ann"]),
])
def test_provenance_declared_only_attribute_is_declared_with_confidence_one(rules, expected):
    con = make_db([{"person_id": "ann", "postal_code": "10115"}], schema=DEFAULT_SCHEMA)
    assert members(con, rules, schema=DEFAULT_SCHEMA) == expected


# ------------------------------------------------------------------------------------------------- scores

@pytest.mark.parametrize("rules, expected", [
    ({"score": "tier", "equals": "highly_engaged"}, ["ann"]),
    ({"score": "engagement", "gte": 50}, ["ann"]),
    ({"score": "engagement", "lt": 50}, ["bob"]),
    ({"not": {"score": "engagement", "gte": 50}}, ["bob", "cat"]),     # cat has no scores row
    ({"score": "affinity.Electronics", "gte": 0.5}, ["bob"]),
    ({"score": "affinity.Electronics", "lt": 0.5}, ["ann"]),
    ({"score": "affinity.Books", "is_null": True}, ["ann", "bob", "cat"]),
    ({"score": "affinity.Electronics", "is_null": True}, ["cat"]),
])
def test_score_conditions_people_selected(rules, expected):
    con = make_db(["ann", "bob", "cat"],
                  scores=[{"person_id": "ann", "engagement": 80.0, "tier": "highly_engaged"},
                          {"person_id": "bob", "engagement": 20.0, "tier": "potential_buyer"}],
                  affinity=[("ann", "Electronics", 0.2), ("bob", "Electronics", 0.9), ("bob", "Fashion", 0.1)])
    assert members(con, rules) == expected


# --------------------------------------------------------------------------------------------- in_segment

def test_in_segment_chain_evaluated_at_same_as_of():
    con = make_db(["ann", "bob", "cat"], [("ann", "Product Viewed", ago(days=1), {}),
                                          ("bob", "Product Viewed", ago(days=10), {})],
                  scores=[{"person_id": "ann", "tier": "highly_engaged"},
                          {"person_id": "cat", "tier": "highly_engaged"}])
    others = {"viewers": {"performed": "Product Viewed", "within": "7d"},
              "engaged_viewers": {"all": [{"in_segment": "viewers"}, {"score": "tier", "equals": "highly_engaged"}]}}
    rules = {"any": [{"in_segment": "engaged_viewers"}, {"in_segment": "viewers"}]}   # a diamond, compiled once
    assert members(con, rules, others) == ["ann"]
    assert members(con, {"not": {"in_segment": "engaged_viewers"}}, others) == ["bob", "cat"]
    # the same chain at an as_of where bob's view is recent
    assert members(con, {"in_segment": "viewers"}, others, as_of=ago(days=8)) == ["bob"]


def test_compile_segment_dependencies_first():
    results = validate_segments({"a.yml": {"name": "a", "rules": {"in_segment": "b"}},
                                 "b.yml": {"name": "b", "rules": {"in_segment": "c"}},
                                 "c.yml": {"name": "c", "rules": {"attribute": "country", "equals": "DE"}}})
    compiled = compile_segment("a", {r.segment.name: r.segment for r in results})
    assert compiled.depends_on == ("c", "b")
    assert compiled.sql.index('"c" as') < compiled.sql.index('"b" as') < compiled.sql.index('"a" as')
    assert not compiled.uses_as_of and compiled.parameters(AS_OF) == {"p1": "DE"}


def test_in_segment_cycle_error_names_cycle():
    results = validate_segments({"a.yml": {"name": "a", "rules": {"in_segment": "b"}},
                                 "b.yml": {"name": "b", "rules": {"all": [{"in_segment": "a"}]}},
                                 "c.yml": {"name": "c", "rules": {"in_segment": "a"}},
                                 "s.yml": {"name": "s", "rules": {"in_segment": "s"}}})
    msgs = {r.source: [str(i) for i in r.errors] for r in results}
    assert msgs["a.yml"] == ["a.yml: rules.in_segment: in_segment cycle: a -> b -> a"]
    assert msgs["b.yml"] == ["b.yml: rules.all[0].in_segment: in_segment cycle: b -> a -> b"]
    assert msgs["c.yml"] == ["c.yml: rules.in_segment: depends on segment 'a' (a.yml), which has errors"]
    assert msgs["s.yml"] == ["s.yml: rules.in_segment: in_segment cycle: s -> s"]
    assert all(r.segment is None for r in results)


def test_compile_segment_cycle_raises():
    a = parse_segment({"name": "a", "rules": {"in_segment": "b"}})
    b = parse_segment({"name": "b", "rules": {"in_segment": "a"}})
    with pytest.raises(SegmentError, match="cycle: a -> b -> a"):
        compile_segment("a", {"a": a, "b": b})


# ------------------------------------------------------------------------------------- bound parameters

EVIL = "'; drop table seg_profiles; --"


@pytest.mark.parametrize("rules", [
    {"attribute": "country", "equals": EVIL},
    {"attribute": "email", "in": [EVIL, "x"]},
    {"performed": EVIL},
    {"performed": "Product Viewed", "where": {"category": EVIL}},
    {"performed": "Product Viewed", "where": {"coupon": {"contains": EVIL}}},
    {"score": "affinity." + EVIL, "gte": 0},
    {"score": "tier", "starts_with": EVIL},
])
def test_compile_user_values_bound_never_pasted(rules):
    con = make_db([{"person_id": "ann", "country": EVIL}], [("ann", "Product Viewed", ago(days=1), {"coupon": "x"})])
    seg = parse_segment({"name": "t", "rules": rules}, schema=SCHEMA)
    compiled = compile_segment("t", {"t": seg}, SCHEMA)
    assert "drop table" not in compiled.sql and EVIL in compiled.params.values()
    compiled.members(con, AS_OF)
    assert con.execute("select count(*) from seg_profiles").fetchone() == (1,)


def test_compile_evil_value_matches_literally():
    con = make_db([{"person_id": "ann", "country": EVIL}])
    assert members(con, {"attribute": "country", "equals": EVIL}) == ["ann"]


def test_compile_all_persons_evaluated_including_unreachable():
    con = make_db([{"person_id": "ann", "email_opt_in": False}, {"person_id": "bob"}])
    assert members(con, {"performed": "Product Viewed", "count": {"eq": 0}}) == ["ann", "bob"]


# ------------------------------------------------------------------------------------------------ errors

@pytest.mark.parametrize("rules, path, fragment", [
    ({"performd": "Product Viewed"}, "rules.performd", "unknown block 'performd' (did you mean 'performed'?)"),
    ({"all": [{"attribute": "gender", "equals": "f"}, {"segment": "x"}]}, "rules.all[1].segment",
     "unknown block 'segment'"),
    ({"attribute": "gender", "eq": "female"}, "rules.eq", "unknown operator 'eq' (did you mean 'equals'?)"),
    ({"attribute": "gendr", "equals": "female"}, "rules.attribute",
     "unknown attribute 'gendr' (did you mean 'gender'?)"),
    ({"score": "engagment", "gte": 1}, "rules.score", "unknown score 'engagment' (did you mean 'engagement'?)"),
    ({"performed": "Product Viewed", "within": "7 days"}, "rules.within", "bad duration '7 days'"),
    ({"performed": "Product Viewed", "not_followed_by": {"event": "Order Completed", "within": "1y"}},
     "rules.not_followed_by.within", "bad duration '1y'"),
    ({"all": [{"attribute": "age", "gte": 1}, {"performed": "Product Viewed", "where": {"price": "cheap"}}]},
     "rules.all[1].where.price", "property type mismatch: price is a number, got 'cheap'"),
    ({"performed": "Product Viewed", "where": {"price": {"gte": "cheap"}}}, "rules.where.price.gte",
     "property type mismatch: price is a number, got 'cheap'"),
    ({"performed": "Product Viewed", "where": {"product.is_new_arrival": "yes"}}, "rules.where.product.is_new_arrival",
     "property type mismatch: product.is_new_arrival is a boolean, got 'yes'"),
    ({"performed": "Product Viewed", "where": {"product.colour": "red"}}, "rules.where.product.colour",
     "unknown product column 'colour'"),
    ({"in_segment": "vips"}, "rules.in_segment", "unknown segment 'vips' (did you mean 'vip'?)"),
    ({"attribute": "age", "equals": "old"}, "rules.equals", "type mismatch: age is an integer, got 'old'"),
    ({"attribute": "postal_code", "equals": 10115}, "rules.equals", "quote it"),
    ({"attribute": "country", "equals": False}, "rules.equals", "YAML reads unquoted"),
    ({"attribute": "age", "contains": "3"}, "rules.contains", "contains applies to text"),
    ({"attribute": "age", "between": [35, 25]}, "rules.between", "expected low <= high"),
    ({"attribute": "gender", "in": []}, "rules.in", "non-empty list"),
    ({"attribute": "gender", "equals": ["a", "b"]}, "rules.equals", "use in: [..]"),
    ({"attribute": "gender"}, "rules", "expected an operator"),
    ({"attribute": "gender", "equals": "f", "provenance": ["guessed"]}, "rules.provenance[0]", "unknown provenance"),
    ({"attribute": "gender", "equals": "f", "min_confidence": 2}, "rules.min_confidence", "between 0 and 1"),
    ({"attribute": "gender", "equals": None}, "rules.equals", "use is_null"),
    ({"performed": "Product Viewed", "count": {"gte": 1.5}}, "rules.count.gte", "whole number"),
    ({"performed": "Product Viewed", "count": 2}, "rules.count", "expected a comparison"),
    ({"performed": "Product Viewed", "within": "7d", "between": ["2024-01-01", "2024-02-01"]}, "rules",
     "within or between, not both"),
    ({"performed": "Product Viewed", "between": ["2024-02-01", "2024-01-01"]}, "rules.between", "start before end"),
    ({"performed": "Product Viewed", "withn": "7d"}, "rules.withn", "did you mean 'within'?"),
    ({"performed": "Order Completed", "aggregate": {"fn": "total", "of": "total", "gte": 1}}, "rules.aggregate.fn",
     "expected one of: sum, avg, min, max"),
    ({"performed": "Order Completed", "aggregate": {"fn": "sum", "of": "category", "gte": 1}}, "rules.aggregate.of",
     "expected a numeric property"),
    ({"performed": "Order Completed", "aggregate": {"fn": "sum", "of": "total"}}, "rules.aggregate",
     "expected a comparison of the aggregate"),
    ({"performed": "Product Added", "not_followed_by": {"event": "Order Completed"}}, "rules.not_followed_by.within",
     "missing; expected the grace period"),
    ({"performed": ["Product Viewed"]}, "rules.performed", "expected an event name or {any_of"),
    ({"all": []}, "rules.all", "non-empty list of conditions"),
    ({"attribute": "gender", "equals": "f", "score": "tier"}, "rules", "one block per condition"),
    ({"not": {"attribute": "gender", "equals": "f"}, "x": 1}, "rules.x", "unexpected key 'x' beside 'not'"),
])
def test_errors_broken_rule_path_and_message(rules, path, fragment):
    errors = errors_of({"name": "t", "rules": rules}, others={"segments/vip.yml": {"name": "vip", "rules": {
        "score": "tier", "equals": "vip"}}})
    assert any(e.startswith(f"segments/t.yml: {path}: ") and fragment in e for e in errors), errors


@pytest.mark.parametrize("doc, path, fragment", [
    ({"rules": {"attribute": "gender", "equals": "f"}}, "name", "missing"),
    ({"name": "Cart Abandoners", "rules": {"attribute": "gender", "equals": "f"}}, "name", "snake_case"),
    ({"name": "t"}, "rules", "missing; expected a condition"),
    ({"name": "t", "rules": {"attribute": "gender", "equals": "f"}, "owners": "x"}, "owners", "did you mean 'owner'?"),
    ({"name": "t", "rules": {"attribute": "gender", "equals": "f"}, "tags": "cart"}, "tags", "list of text tags"),
    ({"name": "t", "rules": {"attribute": "gender", "equals": "f"}, "expect_nonempty": "yes"}, "expect_nonempty",
     "true or false"),
    (["name", "t"], "", "expected a mapping"),
])
def test_errors_broken_document_path_and_message(doc, path, fragment):
    errors = errors_of(doc)
    prefix = f"segments/t.yml: {path}: " if path else "segments/t.yml: "
    assert any(e.startswith(prefix) and fragment in e for e in errors), errors


def test_errors_all_collected_in_one_file():
    doc = {"name": "t", "descripton": "x", "rules": {"all": [
        {"attribute": "gendr", "equals": "female"},
        {"performed": "Product Viewed", "within": "7 days", "where": {"price": "cheap"}},
        {"score": "engagment", "gte": 5},
        {"in_segment": "nope"}]}}
    paths = [e.split(": ")[1] for e in errors_of(doc)]
    assert paths == ["descripton", "rules.all[0].attribute", "rules.all[1].where.price", "rules.all[1].within",
                     "rules.all[2].score", "rules.all[3].in_segment"]


def test_errors_invalid_yaml_names_file():
    errors = errors_of("name: t\nrules: {all: [\n")
    assert len(errors) == 1 and errors[0].startswith("segments/t.yml: not valid YAML")


def test_errors_duplicate_names_both_files():
    results = validate_segments({"a.yml": {"name": "x", "rules": {"attribute": "gender", "equals": "f"}},
                                 "b.yml": {"name": "x", "rules": {"attribute": "gender", "equals": "m"}}})
    assert [str(r.errors[0]) for r in results] == ["a.yml: name: duplicate segment name 'x': also defined in b.yml",
                                                   "b.yml: name: duplicate segment name 'x': also defined in a.yml"]


def test_parse_segment_raises_with_every_issue():
    with pytest.raises(SegmentError) as info:
        parse_segment({"name": "t", "rules": {"all": [{"attribute": "x", "equals": 1}, {"score": "y", "gte": 1}]}},
                      "seg.yml")
    assert [i.path for i in info.value.issues] == ["rules.all[0].attribute", "rules.all[1].score"]


def test_warnings_unknown_event_name_suggests_known():
    result = validate_segments({"t.yml": {"name": "t", "rules": {"performed": "Product Vieweed"}}})[0]
    assert result.ok and "did you mean 'Product Viewed'?" in str(result.warnings[0])


@pytest.mark.parametrize("rules, path, fragment", [
    ({"attribute": "gender", "equals": "Female"}, "rules.equals", "'Female' is not a known value of gender (did you "
                                                                  "mean 'female'?)"),
    ({"score": "tier", "in": ["highly_engaged", "potential_buyers"]}, "rules.in", "did you mean 'potential_buyer'?"),
])
def test_warnings_unknown_enumerated_value_suggests_known(rules, path, fragment):
    result = validate_segments({"t.yml": {"name": "t", "rules": rules}})[0]
    assert result.ok and str(result.warnings[0]).startswith(f"t.yml: {path}: ") and fragment in str(result.warnings[0])


def test_validate_dir_broken_file_leaves_others_usable(tmp_path):
    (tmp_path / "good.yml").write_text("name: good\nrules: {attribute: gender, equals: female}\n")
    (tmp_path / "bad.yml").write_text("name: bad\nrules: {attribute: gendr, equals: female}\n")
    (tmp_path / "needs_bad.yml").write_text("name: needs_bad\nrules: {in_segment: bad}\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "good.yml").write_text("cases: []\n")        # fixtures are not segments
    results = {Path(r.source).name: r for r in validate_dir(tmp_path)}
    assert sorted(results) == ["bad.yml", "good.yml", "needs_bad.yml"]
    assert results["good.yml"].ok and not results["bad.yml"].ok and not results["needs_bad.yml"].ok
    assert "bad.yml: rules.attribute: unknown attribute 'gendr'" in str(results["bad.yml"].errors[0])
    assert "depends on segment 'bad'" in str(results["needs_bad.yml"].errors[0])
    catalog = dsl.load_catalog(tmp_path)
    assert sorted(catalog.segments) == ["good"]
    with pytest.raises(SegmentError, match="gendr"):
        catalog.compile("bad")


def test_validate_dir_name_differs_from_file_warns(tmp_path):
    (tmp_path / "a.yml").write_text("name: b\nrules: {attribute: gender, equals: female}\n")
    result = validate_dir(tmp_path)[0]
    assert result.ok and "differs from the file name" in str(result.warnings[0])


def test_validate_dir_missing_folder_raises(tmp_path):
    with pytest.raises(SegmentError, match="no such segment folder"):
        validate_dir(tmp_path / "nope")


# ---------------------------------------------------------------------------------------------- schema

def test_schema_extend_enrichment_attribute_validates():
    doc = {"name": "t", "rules": {"attribute": "household_income", "gte": 50000, "provenance": ["third_party"]}}
    assert "unknown attribute 'household_income'" in errors_of(doc)[0]
    schema = SCHEMA.extend(attributes={"household_income": dsl.enriched("number")})
    assert errors_of(doc, schema) == []


def test_schema_from_connection_reads_relations():
    con = make_db(["ann"])
    con.execute("alter table seg_profiles add column loyalty_level varchar")
    con.execute("alter table seg_profiles add column loyalty_level__provenance varchar")
    con.execute("alter table seg_profiles drop column city_type__confidence")
    con.execute("alter table seg_scores add column churn_risk double")
    con.execute("alter table seg_events drop column url")
    schema = dsl.Schema.from_connection(con)
    assert schema.attributes["loyalty_level"] == Attribute("string", has_provenance=True)
    assert schema.attributes["city_type"] == Attribute("string", has_provenance=True, has_confidence=False)
    assert schema.attributes["email"].case_insensitive and schema.attributes["age"].type == "integer"
    assert schema.scores["churn_risk"] == "number" and "url" not in schema.event_properties
    con.execute("update seg_profiles set loyalty_level = 'gold', loyalty_level__provenance = 'declared'")
    assert members(con, {"attribute": "loyalty_level", "equals": "gold", "provenance": ["declared"]},
                   schema=schema) == ["ann"]


def test_segment_version_changes_with_rules_only():
    a = parse_segment({"name": "t", "description": "x", "rules": {"attribute": "gender", "equals": "f"}})
    b = parse_segment({"name": "t", "description": "y", "rules": {"attribute": "gender", "equals": "f"}})
    c = parse_segment({"name": "t", "rules": {"attribute": "gender", "equals": "m"}})
    assert a.version == b.version != c.version and len(a.version) == 12


# -------------------------------------------------------------------------------------- shipped examples

EXAMPLES = sorted(p.stem for p in dsl.segment_files(SEGMENTS_DIR))


def test_examples_shipped_expected_set():
    assert set(EXAMPLES) >= {"cart_abandoners_electronics", "inactive_90_days", "active_buyers", "high_value",
                             "highly_engaged", "potential_buyers", "urban_women_25_35_new_arrivals",
                             "saas_reengagement"}


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_validate_and_compile(name):
    catalog = dsl.load_catalog(SEGMENTS_DIR)
    result = catalog.result(name)
    assert result is not None and result.ok, [str(i) for i in result.errors]
    assert not result.warnings, [str(i) for i in result.warnings]
    seg = result.segment
    assert seg.description and seg.owner and seg.tags
    con = make_db(["ann"], schema=DEFAULT_SCHEMA)
    assert isinstance(catalog.compile(name).members(con, AS_OF), list)


# The example of docs/segments.md (the segment language's first example), verbatim
SPEC_EXAMPLE_RULES = """
all:
  - performed: Product Added
    where: {category: Electronics}
    within: 7d
    not_followed_by: {event: Order Completed, within: 24h}
  - performed: Product Viewed
    where: {category: Electronics}
    count: {gte: 2}
    within: 30d
"""


def test_examples_cart_abandoners_matches_spec_example():
    spec = REPO_ROOT / "docs" / "segments.md"
    example = yaml.safe_load(SPEC_EXAMPLE_RULES)
    # the copy above must still be the documentation's first example
    assert yaml.safe_load(spec.read_text(encoding="utf-8").split("```yaml")[1].split("```")[0])["rules"] == example
    shipped = yaml.safe_load((SEGMENTS_DIR / "cart_abandoners_electronics.yml").read_text())
    assert shipped["rules"] == example


def test_schema_relation_names_configurable():
    schema = DEFAULT_SCHEMA.extend(profiles="main.people", events="main.tracked", score_table="main.person_scores",
                                   affinity="main.person_affinity")
    con = duckdb.connect()
    for ddl in evaluation_ddl(schema):
        con.execute(ddl)
    con.execute("insert into main.people (person_id) values ('ann'), ('bob')")
    con.execute("insert into main.tracked (message_id, person_id, event_name, occurred_at) values "
                "('m1', 'ann', 'Signed In', ?)", [ago(days=1)])
    con.execute("insert into main.person_scores (person_id, tier) values ('ann', 'casual')")
    seg = parse_segment({"name": "t", "rules": {"all": [{"performed": "Signed In", "within": "7d"},
                                                        {"score": "tier", "equals": "casual"},
                                                        {"score": "affinity.Books", "is_null": True}]}})
    assert compile_segment("t", {"t": seg}, schema).members(con, AS_OF) == ["ann"]
