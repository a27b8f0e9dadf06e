"""At ingest, rows of persons already erased (a tombstone matches them) are dropped before they are written
anywhere, quarantine included, and counted as `erased`; the suppression list only ever holds hashes."""

from datetime import datetime

import pytest

from orchestration.lib.core import email_key, sha256_hex
from orchestration.lib.erasure import ensure_store, row_erased_sql, text_erased_sql
from orchestration.lib.ingest import TABLES, connect, load_event_days, load_table
from tests.helpers.landing import Landing, contact_row, event

ERASED_EMAIL = "anna.schmidt@example.com"
DAY = "2026-10-01"
ERASED_AT = datetime(2026, 10, 1)


@pytest.fixture
def con(tmp_path):
    c = connect(tmp_path / "wh.duckdb")
    yield c
    c.close()


@pytest.fixture
def landing(tmp_path) -> Landing:
    return Landing(tmp_path / "landing")


def tombstone(con, key_type, value, hashed=None):
    ensure_store(con)
    con.execute("insert into erasure.tombstones values (?, ?, 'er-test', ?)",
                [key_type, hashed or sha256_hex(value), ERASED_AT])


def forget_anna(con):
    tombstone(con, "email", None, email_key(ERASED_EMAIL))
    tombstone(con, "contact_id", "C100")
    tombstone(con, "user_id", "u-anna")
    tombstone(con, "anonymous_id", "anon-anna")


def dropped(con):
    return con.execute("select dataset, partition_key, source_file, rows from erasure.dropped_at_ingest "
                       "order by all").fetchall()


def all_text(con, table):
    return " ".join(r[0] for r in con.execute(f"select lower(t::varchar) from {table} t").fetchall())


# ---------------------------------------------------------------- contacts

def write_contacts(landing):
    landing.contacts([
        contact_row("C100", ERASED_EMAIL),                        # erased: contact id and address
        contact_row("C200", "bob@example.org"),                   # kept
        contact_row("C300", " Anna.Schmidt@Example.com "),        # erased: the address, as written
        contact_row("C400", "carl@example.org", created="soon"),  # quarantined: bad created_at
    ])
    landing.contacts([
        contact_row("C100", "new.address@example.org", created="soon"),   # erased, though bad too
        f"C500,{ERASED_EMAIL},too,few",                                    # erased: rejected line naming her
        "C600,dora@example.org,too,few",                                   # quarantined: wrong field count
    ], name="contacts_more.csv")


def test_erased_contacts_are_dropped_not_quarantined(con, landing):
    forget_anna(con)
    write_contacts(landing)
    stats = load_table(con, landing.root, TABLES["contacts"])

    assert (stats.records_read, stats.kept, stats.quarantined, stats.erased) == (7, 1, 2, 4)
    assert stats.reconciles
    assert stats.quarantine_reasons == {"bad_value": 1, "wrong_field_count": 1}
    assert con.execute("select contact_id from raw.contacts").fetchall() == [("C200",)]
    assert con.execute("select source_file, line_no, reason from quarantine.records order by all").fetchall() == [
        ("crm/contacts.csv", 5, "bad_value"), ("crm/contacts_more.csv", 4, "wrong_field_count")]
    for table in ("raw.contacts", "quarantine.records"):
        text = all_text(con, table)
        assert ERASED_EMAIL not in text and "c100" not in text and "c300" not in text and "c500" not in text
    assert dropped(con) == [("contacts", None, "crm/contacts.csv", 2), ("contacts", None, "crm/contacts_more.csv", 2)]


def test_loading_again_replaces_the_drop_counts(con, landing):
    forget_anna(con)
    write_contacts(landing)
    load_table(con, landing.root, TABLES["contacts"])
    (landing.root / "crm" / "contacts_more.csv").unlink()
    stats = load_table(con, landing.root, TABLES["contacts"])
    assert (stats.records_read, stats.erased) == (4, 2)
    assert dropped(con) == [("contacts", None, "crm/contacts.csv", 2)]


def test_without_tombstones_nothing_is_erased(con, landing):
    write_contacts(landing)
    assert row_erased_sql(con, ["contact_id", "email"]) == "false"
    assert text_erased_sql(con, "raw_line") == "false"
    stats = load_table(con, landing.root, TABLES["contacts"])
    assert (stats.records_read, stats.kept, stats.quarantined, stats.erased) == (7, 3, 4, 0)
    assert stats.reconciles
    assert sorted(r[0] for r in con.execute("select contact_id from raw.contacts").fetchall()) == [
        "C100", "C200", "C300"]

    ensure_store(con)          # an empty store erases nothing either
    stats = load_table(con, landing.root, TABLES["contacts"])
    assert (stats.kept, stats.erased) == (3, 0)
    assert dropped(con) == []


def test_erased_orders_and_their_lines_are_dropped(con, landing):
    forget_anna(con)
    tombstone(con, "order_id", "O-1")
    landing.csv("orders/orders.csv", "order_id,contact_id,email,ordered_at,status,currency,total", [
        "O-1,,someone@example.org,2026-09-01T00:00:00Z,completed,EUR,10",     # by order id
        "O-2,C100,,2026-09-01T00:00:00Z,completed,EUR,10",                    # by contact id
        f"O-3,,{ERASED_EMAIL.upper()},2026-09-01T00:00:00Z,completed,EUR,10",  # by address
        "O-4,C200,bob@example.org,2026-09-01T00:00:00Z,completed,EUR,10",
    ])
    landing.csv("orders/order_items.csv", "order_id,product_id,quantity,unit_price",
                ["O-1,P1,1,10", "O-1,P2,x,10", "O-4,P1,1,10"])
    orders = load_table(con, landing.root, TABLES["orders"])
    items = load_table(con, landing.root, TABLES["order_items"])
    assert (orders.kept, orders.quarantined, orders.erased) == (1, 0, 3) and orders.reconciles
    assert (items.kept, items.quarantined, items.erased) == (1, 0, 2) and items.reconciles   # O-1/P2 is bad too
    assert con.execute("select order_id from raw.orders").fetchall() == [("O-4",)]
    assert con.execute("select order_id from raw.order_items").fetchall() == [("O-4",)]


# ---------------------------------------------------------------- events

def identify(message_id, email, user_id="u-new"):
    return {"type": "identify", "messageId": message_id, "timestamp": "2026-10-01T10:00:00Z", "userId": user_id,
            "traits": {"email": email}}


def write_events(landing):
    return landing.events(DAY, [
        event("m-1", user_id="u-anna", anonymous_id="anon-x"),                  # erased: userId
        event("m-2", anonymous_id="anon-anna"),                                 # erased: anonymousId
        identify("m-3", " Anna.Schmidt@Example.com"),                           # erased: the email of its traits
        f'{{"type": "identify", "messageId": "m-4", "traits": {{"email": "{ERASED_EMAIL}"',   # erased: broken
        '{"type": "track", "messageId": "m-5"',                                 # quarantined: malformed_json
        event("m-6", anonymous_id="anon-bob"),                                  # kept
        event("m-7", user_id="u-anna", timestamp="yesterday"),                  # erased: bad, but hers
    ])


def test_erased_events_are_dropped_not_quarantined(con, landing):
    forget_anna(con)
    path = write_events(landing)
    [stats] = load_event_days(con, landing.root, {DAY: [path]})

    assert (stats.lines_read, stats.kept, stats.quarantined, stats.redelivered, stats.erased) == (7, 1, 1, 0, 5)
    assert stats.reconciles
    assert stats.quarantine_reasons == {"malformed_json": 1}
    assert con.execute("select message_id from raw.events").fetchall() == [("m-6",)]
    assert con.execute("select line_no, reason from quarantine.events").fetchall() == [(5, "malformed_json")]
    for table in ("raw.events", "quarantine.events"):
        text = all_text(con, table)
        assert ERASED_EMAIL not in text and "u-anna" not in text and "anon-anna" not in text
    assert dropped(con) == [("events", DAY, f"events/{DAY}/events.jsonl", 5)]


def test_an_event_that_names_only_an_erased_order_is_dropped(con, landing):
    """The erasure purge removes every event row holding an erased order_id; ingest drops the same rows, so a
    full reload (`microseg run --full-refresh`) brings none back. Regression: an anonymous Order Completed of
    an erased order, from a device not tied to the person, came back on a full refresh."""
    tombstone(con, "order_id", "O-anna-1")
    path = landing.events(DAY, [event("m-1", anonymous_id="anon-someone", event_name="Order Completed",
                                      order_id=" O-anna-1"),
                                event("m-2", anonymous_id="anon-someone", event_name="Order Completed",
                                      order_id="O-bob-1")])
    [stats] = load_event_days(con, landing.root, {DAY: [path]})
    assert (stats.kept, stats.erased) == (1, 1)
    assert con.execute("select message_id from raw.events").fetchall() == [("m-2",)]


def test_events_without_tombstones_are_all_kept_or_quarantined(con, landing):
    path = write_events(landing)
    [stats] = load_event_days(con, landing.root, {DAY: [path]})
    assert (stats.lines_read, stats.kept, stats.quarantined, stats.erased) == (7, 4, 3, 0)
    assert stats.quarantine_reasons == {"malformed_json": 2, "bad_timestamp": 1}
    assert stats.reconciles


def test_another_days_drop_counts_are_kept(con, landing):
    forget_anna(con)
    first = write_events(landing)
    other = landing.events("2026-10-02", [event("m-9", anonymous_id="anon-anna", timestamp="2026-10-02T09:00:00Z")])
    load_event_days(con, landing.root, {DAY: [first]})
    [stats] = load_event_days(con, landing.root, {"2026-10-02": [other]})
    assert stats.erased == 1
    assert dropped(con) == [("events", DAY, f"events/{DAY}/events.jsonl", 5),
                            ("events", "2026-10-02", "events/2026-10-02/events.jsonl", 1)]


# ---------------------------------------------------------------- suppression

SUPPRESSION_ADDRESSES = ("Anna.Schmidt@Example.com", "bob@example.org", "carl@example.org", "dora@example.org",
                         "eve@example.org")


def write_suppression(landing):
    landing.csv("suppression/esp.csv", "email,reason,at", [
        " Anna.Schmidt@Example.com ,erasure,2026-09-01T00:00:00Z",
        "bob@example.org,unsubscribed,2026-09-02T00:00:00Z",
        "carl@example.org,bounced",                                  # wrong field count
        "dora@example.org,gone,2026-09-03T00:00:00Z",                # not an allowed reason
        "eve@example.org,bounced,someday",                           # not a timestamp
    ])


def test_suppression_stores_only_the_hash(con, landing):
    write_suppression(landing)
    stats = load_table(con, landing.root, TABLES["suppression"])
    assert (stats.records_read, stats.kept, stats.quarantined, stats.erased) == (5, 2, 3, 0)

    columns = [r[0] for r in con.execute("select column_name from information_schema.columns where "
                                         "table_schema = 'raw' and table_name = 'suppression' "
                                         "order by ordinal_position").fetchall()]
    assert columns == ["source_file", "line_no", "email_sha256", "reason", "at", "extra"]
    assert con.execute("select line_no, email_sha256, reason from raw.suppression order by line_no").fetchall() == [
        (2, sha256_hex("anna.schmidt@example.com"), "erasure"), (3, sha256_hex("bob@example.org"), "unsubscribed")]
    assert {r[0] for r in con.execute("select reason from quarantine.records where dataset = 'suppression'"
                                      ).fetchall()} == {"wrong_field_count", "bad_value"}
    for table in ("raw.suppression", "quarantine.records"):
        text = all_text(con, table)
        assert "@" not in text, table
        for address in SUPPRESSION_ADDRESSES:
            assert address.lower() not in text
    # a rejected line is kept with its address as the hash
    [(raw_line, detail)] = con.execute("select raw_line, detail from quarantine.records "
                                       "where reason = 'wrong_field_count'").fetchall()
    assert raw_line == f"sha256:{email_key('carl@example.org')},bounced"
    assert "carl" not in detail


def test_the_suppression_list_keeps_an_erased_persons_rows(con, landing):
    """The suppression list outlives the people on it: the erasure request's row stays (a hash), and so
    does the person's unsubscribe."""
    forget_anna(con)
    write_suppression(landing)
    stats = load_table(con, landing.root, TABLES["suppression"])
    assert (stats.kept, stats.erased) == (2, 0)
    assert con.execute("select email_sha256, reason from raw.suppression where line_no = 2").fetchall() == [
        (email_key(ERASED_EMAIL), "erasure")]


def test_a_suppression_list_written_by_an_older_version_is_hashed_in_place(tmp_path):
    import duckdb

    from orchestration.lib.core import email_key
    from orchestration.lib.ingest import prepare

    with duckdb.connect(str(tmp_path / "old.duckdb")) as con:
        con.execute("create schema raw")
        con.execute("create table raw.suppression (source_file varchar, line_no integer, email varchar, "
                    "reason varchar, \"at\" varchar, extra json)")
        con.execute("insert into raw.suppression values ('s.csv', 2, ' Old@Example.com ', 'erasure', null, null)")
        prepare(con)
        columns = [r[0] for r in con.execute("select column_name from information_schema.columns where "
                                             "table_schema = 'raw' and table_name = 'suppression'").fetchall()]
        rows = con.execute("select email_sha256, reason from raw.suppression").fetchall()
    assert "email" not in columns and rows == [(email_key("old@example.com"), "erasure")]
