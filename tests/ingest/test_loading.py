import gzip

import duckdb
import pytest

from orchestration.lib.ingest import contract
from orchestration.lib.ingest import loading as ingest
from orchestration.lib.ingest.validate import validate_landing
from tests.helpers.landing import contact_row, event

DAY = "2026-10-01"


def reasons(con, table="quarantine.events"):
    return dict(con.execute(f"select reason, count(*) from {table} group by 1").fetchall())


def checksum(con, table, order="source_file, line_no"):
    """Count and digest of a table's rows; raw.events' load_id (which load wrote a row) left out: a re-ingest is
    a new load of the same rows."""
    exclude = " exclude (load_id)" if table == "raw.events" else ""
    return con.execute(f"select count(*), md5(coalesce(string_agg(t::varchar, '|' order by {order}), '')) "
                       f"from (select *{exclude} from {table}) t").fetchall()[0]


@pytest.fixture
def con(warehouse):
    c = ingest.connect(warehouse)
    yield c
    c.close()


def test_load_event_day_each_quarantine_reason(landing, con):
    lines = [
        event("ok-1"),
        '{"type": "track", "messageId": "broken"',                                   # malformed_json
        '["an", "array"]',                                                           # malformed_json
        {k: v for k, v in event("x").items() if k != "messageId"},                   # missing_message_id
        {**event("blank-id"), "messageId": "  "},                                    # missing_message_id
        {k: v for k, v in event("no-ts").items() if k != "timestamp"},               # missing_timestamp
        event("bad-ts", timestamp="yesterday"),                                      # bad_timestamp
        event("bad-ts2", timestamp="2026-13-45T25:00:00Z"),                          # bad_timestamp
        event("no-offset", timestamp="2026-10-01T10:00:00"),                         # bad_timestamp (no offset)
        event("no-ids", anonymous_id=None),                                          # missing_identity
        {**event("null-ids", anonymous_id=None), "userId": None},                    # missing_identity
        event("future", timestamp="2027-01-01T00:00:00Z"),                           # future_timestamp
    ]
    path = landing.events(DAY, lines)
    with path.open("ab") as f:
        f.write(b'{"type": "track", "messageId": "latin", "event": "M\xfcller"}\n')   # bad_encoding
    stats = ingest.load_event_day(con, landing.root, DAY)
    assert stats.quarantine_reasons == {
        "malformed_json": 2, "missing_message_id": 2, "missing_timestamp": 1, "bad_timestamp": 3,
        "missing_identity": 2, "future_timestamp": 1, "bad_encoding": 1}
    assert (stats.lines_read, stats.kept, stats.redelivered) == (13, 1, 0)
    assert stats.reconciles
    row = con.execute("select source_file, line_no, raw_line from quarantine.events "
                      "where reason = 'bad_timestamp' order by line_no limit 1").fetchall()[0]
    assert row[0] == f"events/{DAY}/events.jsonl" and row[1] == 7 and '"yesterday"' in row[2]


def test_future_tolerance_boundary_is_end_of_received_day_plus_24h(landing, con):
    landing.events(DAY, [
        event("at-limit", timestamp="2026-10-03T00:00:00Z"),        # end of 10-01 + 24 h exactly: valid
        event("past-limit", timestamp="2026-10-03T00:00:01Z"),      # one second later: quarantined
        event("offset-limit", timestamp="2026-10-03T01:00:00+01:00"),  # the same instant in +01:00: valid
    ])
    stats = ingest.load_event_day(con, landing.root, DAY)
    assert stats.quarantine_reasons == {"future_timestamp": 1}
    kept = {r[0] for r in con.execute("select message_id from raw.events").fetchall()}
    assert kept == {"at-limit", "offset-limit"}


def test_late_events_and_events_after_as_of_are_valid(landing, con):
    landing.events(DAY, [event("late", timestamp="2026-09-20T08:00:00Z"),
                         event("tomorrow", timestamp="2026-10-02T12:00:00-05:00")])
    stats = ingest.load_event_day(con, landing.root, DAY)
    assert stats.kept == 2 and stats.quarantined == 0
    assert con.execute("select occurred_at::varchar from raw.events where message_id = 'tomorrow'").fetchall()[0][0] \
        == "2026-10-02 17:00:00"


def test_redelivery_across_files_and_days_counts_once(landing, con):
    landing.events("2026-10-01", [event("m1"), event("m2"), event("m1")], name="a.jsonl")
    landing.events("2026-10-01", [event("m2"), event("m3")], name="b.jsonl.gz")
    landing.events("2026-10-02", [event("m3"), event("m4")])
    first = ingest.load_event_day(con, landing.root, "2026-10-01")
    second = ingest.load_event_day(con, landing.root, "2026-10-02")
    assert (first.lines_read, first.kept, first.redelivered) == (5, 3, 2)
    assert (second.lines_read, second.kept, second.redelivered) == (2, 1, 1)
    assert first.reconciles and second.reconciles
    # raw keeps every delivery (immutable, replayable); staging keeps the first one
    assert con.execute("select count(*), count(distinct message_id) from raw.events").fetchall()[0] == (7, 4)


def test_reingest_is_idempotent_and_partition_rerun_touches_only_its_day(landing, con):
    landing.events("2026-10-01", [event("a1"), "garbage"])
    landing.events("2026-10-02", [event("b1"), event("b2", timestamp="nope")])
    for day in ("2026-10-01", "2026-10-02"):
        ingest.load_event_day(con, landing.root, day)
    before_day1 = con.execute("select * from raw.events where received_date = '2026-10-01' order by line_no").fetchall()
    sums = checksum(con, "raw.events"), checksum(con, "quarantine.events")
    ingest.load_event_day(con, landing.root, "2026-10-01")
    ingest.load_event_day(con, landing.root, "2026-10-02")
    assert (checksum(con, "raw.events"), checksum(con, "quarantine.events")) == sums
    # each load has its own id, larger than every earlier one: loads 3 and 4 wrote the two days again
    assert con.execute("select received_date::varchar, load_id from raw.events group by all order by 1").fetchall() \
        == [("2026-10-01", 3), ("2026-10-02", 4)]
    before_day1 = con.execute("select * from raw.events where received_date = '2026-10-01' order by line_no").fetchall()
    # change day 2 only and re-run it: day 1 rows are untouched
    landing.events("2026-10-02", [event("b9")], name="late-file.jsonl")
    ingest.load_event_day(con, landing.root, "2026-10-02")
    assert con.execute("select * from raw.events where received_date = '2026-10-01' "
                       "order by line_no").fetchall() == before_day1
    assert con.execute("select count(*) from raw.events where received_date = '2026-10-02'").fetchall()[0][0] == 2


def test_broken_files_are_reported_and_other_files_still_load(landing, con):
    landing.events(DAY, [event("good")], name="a.jsonl")
    (landing.root / "events" / DAY / "b.jsonl").write_bytes(b"")
    (landing.root / "events" / DAY / "c.jsonl.gz").write_bytes(gzip.compress(b'{"x": 1}\n' * 500)[:50])
    stats = ingest.load_event_day(con, landing.root, DAY)
    assert stats.kept == 1
    assert {(p.source_file, p.reason) for p in stats.file_problems} == {
        (f"events/{DAY}/b.jsonl", "empty_file"), (f"events/{DAY}/c.jsonl.gz", "truncated_gzip")}
    assert con.execute("select count(*) from quarantine.files where dataset = 'events'").fetchall()[0][0] == 2


def test_load_table_reasons_lineage_and_extra_columns(landing, con):
    landing.csv("crm/contacts.csv",
                "contact_id,email,first_name,last_name,phone,gender,birth_date,city,postal_code,country,"
                "created_at,updated_at,email_opt_in,source,loyalty_tier",
                [contact_row("c1") + ",gold",
                 contact_row("") + ",none",                               # missing_key
                 contact_row("c3", created="last week") + ",none",        # bad_value (timestamp)
                 "c4,only,three",                                         # wrong_field_count
                 contact_row("c5").replace("Anna", '"Anna', 1) + ",x",    # broken_quote
                 contact_row("c6", opt_in="") + ","])
    stats = ingest.load_table(con, landing.root, contract.TABLES["contacts"])
    assert stats.quarantine_reasons == {"missing_key": 1, "bad_value": 1, "wrong_field_count": 1, "broken_quote": 1}
    assert (stats.records_read, stats.kept, stats.quarantined) == (6, 2, 4) and stats.reconciles
    rows = con.execute("select contact_id, line_no, extra ->> '$.loyalty_tier' from raw.contacts order by 2").fetchall()
    assert rows == [("c1", 2, "gold"), ("c6", 7, "")]
    detail = con.execute("select detail from quarantine.records where reason = 'bad_value'").fetchall()[0][0]
    assert detail == "created_at: last week is not a timestamp"


def test_load_table_missing_column_is_a_file_problem_and_other_files_load(landing, con):
    landing.contacts([contact_row("c1")], name="contacts_a.csv")
    landing.csv("crm/contacts_b.csv", "contact_id,mail", ["c2,x@y.z"])
    stats = ingest.load_table(con, landing.root, contract.TABLES["contacts"])
    assert stats.kept == 1
    assert len(stats.file_problems) == 1 and stats.file_problems[0].reason == "missing_column"
    assert "contacts_b.csv" in stats.file_problems[0].source_file


def test_load_table_reads_parquet_with_row_lineage(landing, con, tmp_path):
    (landing.root / "catalog").mkdir(parents=True)
    target = landing.root / "catalog" / "products.parquet"
    duckdb.sql("""select * from (values ('p1', 'Phone', 'Electronics', 'Phones', '199.0', 'true', '2026-09-01T00:00:00Z', 'u', 'i', 'x'),
                                        ('p2', 'Shirt', 'Fashion', 'Tops', 'cheap', 'false', '', 'u', 'i', 'y'))
                  t(product_id, name, category, subcategory, price, is_new_arrival, launched_at, url, image_url, supplier)""") \
        .write_parquet(str(target))
    stats = ingest.load_table(con, landing.root, contract.TABLES["products"])
    assert (stats.kept, stats.quarantined, stats.extra_columns) == (1, 1, ["supplier"])
    assert con.execute("select product_id, line_no, extra ->> '$.supplier' from raw.products").fetchall() == [("p1", 1, "x")]


def test_reloading_tables_is_idempotent(landing, con):
    landing.contacts([contact_row("c1"), contact_row("c2"), "bad"])
    spec = contract.TABLES["contacts"]
    ingest.load_table(con, landing.root, spec)
    sums = checksum(con, "raw.contacts"), checksum(con, "quarantine.records")
    ingest.load_table(con, landing.root, spec)
    assert (checksum(con, "raw.contacts"), checksum(con, "quarantine.records")) == sums


def test_suppression_at_column_and_allowed_reasons(landing, con):
    landing.csv("suppression/list.csv", "email,reason,at",
                ["a@x.com,bounced,2026-10-01T00:00:00Z", "b@x.com,bored,2026-10-01T00:00:00Z"])
    stats = ingest.load_table(con, landing.root, contract.TABLES["suppression"])
    assert (stats.kept, stats.quarantine_reasons) == (1, {"bad_value": 1})
    assert con.execute('select "at" from raw.suppression').fetchall()[0][0] == "2026-10-01T00:00:00Z"


def test_validate_landing_reports_without_touching_a_warehouse(landing, tmp_path):
    landing.events(DAY, [event("a"), "junk", event("a")])
    landing.contacts([contact_row("c1", email="Anna.Secret@example.com"), ",no-key@example.com,,,,,,,,,,,,"])
    report = validate_landing(landing.root)
    assert not report.ok and report.problems == 2
    assert report.datasets["events"]["redelivered"] == 1
    text = report.format()
    assert "malformed_json" in text and "missing_key" in text
    assert "no-key@example.com" not in text and "<email:" in text     # PII masked in console output
    assert not list(tmp_path.glob("*.duckdb"))


def test_a_file_that_turns_unreadable_keeps_what_was_loaded_from_it(landing, con):
    """Regression guard for 'nothing already loaded is lost': a truncated re-export must not wipe rows."""
    landing.contacts([contact_row("c1"), contact_row("c2")], name="contacts_a.csv")
    landing.contacts([contact_row("c3"), "bad"], name="contacts_b.csv")
    ingest.load_table(con, landing.root, contract.TABLES["contacts"])
    (landing.root / "crm" / "contacts_b.csv").write_bytes(b"")          # re-exported as an empty file
    stats = ingest.load_table(con, landing.root, contract.TABLES["contacts"])
    assert [p.reason for p in stats.file_problems] == ["empty_file"]
    assert (stats.kept, stats.carried_over, stats.quarantined) == (2, 1, 0) and stats.reconciles
    ids = [r[0] for r in con.execute("select contact_id from raw.contacts order by 1").fetchall()]
    assert ids == ["c1", "c2", "c3"]
    assert con.execute("select count(*) from quarantine.records where source_file = 'crm/contacts_b.csv'"
                       ).fetchall()[0][0] == 1

    landing.events(DAY, [event("e1"), event("e2")], name="a.jsonl")
    landing.events(DAY, [event("e3"), event("e1")], name="b.jsonl")
    ingest.load_event_day(con, landing.root, DAY)
    path = landing.root / "events" / DAY / "b.jsonl"
    path.rename(path.with_suffix(".jsonl.gz"))                               # now a broken gzip
    (landing.root / "events" / DAY / "b.jsonl").write_bytes(b"")
    stats = ingest.load_event_day(con, landing.root, DAY)
    assert {p.reason for p in stats.file_problems} == {"empty_file", "bad_gzip"}
    assert stats.reconciles and (stats.lines_read, stats.kept, stats.redelivered) == (2, 2, 0)
    assert sorted(r[0] for r in con.execute("select message_id from raw.events").fetchall()) == ["e1", "e1", "e2", "e3"]
