"""find_footprint + purge_tables on a warehouse built by hand: the whole person goes, from every table that
holds one of their keys (by column name, a table no list names included), and nobody else loses a row."""

import re

import duckdb
import pytest

from orchestration.lib.core import email_key, sha256_hex
from orchestration.lib.erasure import find_footprint, purge_tables
from orchestration.lib.erasure.purge import text_pattern
from tests.erasure.builders import (
    ANNA_EMAIL,
    ANNA_PHONE_AS_WRITTEN,
    ANNA_PHONE_E164,
    ANNA_VALUES,
    ANNA_WORK_EMAIL,
    BOB_EMAIL,
    CARLA_EMAIL,
    EVENTS_FILE,
    GUEST_EMAIL,
    build_warehouse,
    row_counts,
    rows_as_text,
)


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "wh.duckdb"))
    build_warehouse(c)
    yield c
    c.close()


def ids(con, sql):
    return sorted(r[0] for r in con.execute(sql).fetchall())


def test_footprint_follows_the_identity_map_to_the_whole_person(con):
    fp = find_footprint(con, {email_key(ANNA_EMAIL)}, set())
    assert fp.found
    assert fp.person_ids == {"P-A"}
    assert fp.contact_ids == {"C100", "C101"}            # C101: the merged duplicate with another address
    assert fp.user_ids == {"u-anna"}
    assert fp.anonymous_ids == {"anon-anna-1", "anon-anna-2"}   # anon-anna-2 is only in the identity map
    assert fp.order_ids == {"O-1"}
    assert fp.emails == {ANNA_EMAIL, ANNA_WORK_EMAIL}
    assert fp.phones == {ANNA_PHONE_E164, ANNA_PHONE_AS_WRITTEN}
    assert fp.names == {"Anna Schmidt"}


def test_footprint_by_phone_hash_finds_the_same_person(con):
    fp = find_footprint(con, set(), {sha256_hex(ANNA_PHONE_E164)})
    assert fp.person_ids == {"P-A"} and fp.contact_ids == {"C100", "C101"}


def test_purge_removes_the_person_everywhere_and_keeps_everyone_else(con):
    before = row_counts(con)
    fp = find_footprint(con, {email_key(ANNA_EMAIL)}, set())
    removed = purge_tables(con, fp)

    assert removed == {
        "identity.contacts_normalized": 2,   # C100 and the merged duplicate C101
        "identity.identity_map": 5,          # 2 contacts, 1 userId, 2 anonymousIds
        "raw.contacts": 2,
        "raw.events": 3,                     # identify + order by u-anna/anon-anna-1, page view by anon-anna-2
        "raw.orders": 1,
        "raw.order_items": 2,                # both lines of O-1
        "quarantine.records": 1,             # the bad line naming C100 and the address
        "quarantine.events": 1,              # the bad line of u-anna
        "sync.ledger": 2,                    # by person_id, and by the duplicate's address (case, blanks)
    }
    after = row_counts(con)
    assert {t: before[t] - after[t] for t in before if before[t] != after[t]} == removed

    assert ids(con, "select contact_id from identity.contacts_normalized") == ["C1000", "C200"]
    assert ids(con, "select id_value from identity.identity_map") == ["C1000", "C200", "anon-bob", "u-bob"]
    assert ids(con, "select contact_id from raw.contacts") == ["C1000", "C200"]
    assert ids(con, "select message_id from raw.events") == ["m-4", "m-6"]
    assert ids(con, "select order_id from raw.orders") == ["O-2", "O-3"]      # the guest order stays
    assert ids(con, "select order_id || '/' || product_id from raw.order_items") == ["O-2/P1", "O-3/P3"]
    assert ids(con, "select line_no from quarantine.records") == [7]         # Bob's line (C1000) stays
    assert ids(con, "select line_no from quarantine.events") == [7]
    assert ids(con, "select coalesce(person_id, '-') from sync.ledger") == ["P-B"]
    # kept on purpose: pseudonymous person_id in segment history, hashes in the suppression list
    assert ids(con, "select person_id from segments.segment_history") == ["P-A", "P-B"]
    assert ids(con, "select email_sha256 from raw.suppression") == sorted([email_key(ANNA_EMAIL), email_key(BOB_EMAIL)])

    for table in after:
        if table in ("segments.segment_history", "raw.suppression"):
            continue
        for text in rows_as_text(con, table):
            for value in ANNA_VALUES:
                assert value.lower() not in text, (table, value)
    assert any(BOB_EMAIL in t for t in rows_as_text(con, "raw.contacts"))


def test_purge_records_the_quarantined_lines_as_landing_rows(con):
    fp = find_footprint(con, {email_key(ANNA_EMAIL)}, set())
    assert {("contacts", "crm/contacts.csv", 2), ("contacts", "crm/contacts.csv", 3),
            ("events", EVENTS_FILE, 1), ("events", EVENTS_FILE, 2), ("events", EVENTS_FILE, 3),
            ("orders", "orders/orders.csv", 2), ("order_items", "orders/order_items.csv", 2),
            ("order_items", "orders/order_items.csv", 3), ("suppression", "suppression/list.csv", 2)
            } <= fp.landing_rows
    assert ("contacts", "crm/contacts.csv", 4) not in fp.landing_rows   # only quarantine knows that line
    purge_tables(con, fp)
    assert ("contacts", "crm/contacts.csv", 4) in fp.landing_rows
    assert ("events", EVENTS_FILE, 5) in fp.landing_rows
    # nobody else's lines
    assert not {("contacts", "crm/contacts.csv", 5), ("contacts", "crm/contacts.csv", 7),
                ("events", EVENTS_FILE, 7), ("orders", "orders/orders.csv", 4)} & fp.landing_rows


def test_a_person_without_phone_or_events_leaves_empty_values_of_others_alone(con):
    """Carla has no phone, no userId, no device, no order: the purge must not take every row whose phone
    (or contact id) is empty along with her."""
    fp = find_footprint(con, {email_key(CARLA_EMAIL)}, set())
    assert fp.contact_ids == {"C200"} and fp.person_ids == {"P-C"}
    assert not (fp.user_ids or fp.anonymous_ids or fp.order_ids or fp.phones)
    removed = purge_tables(con, fp)
    assert removed == {"identity.contacts_normalized": 1, "identity.identity_map": 1, "raw.contacts": 1}
    assert ids(con, "select contact_id from raw.contacts") == ["C100", "C1000", "C101"]
    assert ids(con, "select order_id from raw.orders") == ["O-1", "O-2", "O-3"]


def test_an_address_nobody_holds_finds_nothing_and_removes_nothing(con):
    before = row_counts(con)
    fp = find_footprint(con, {email_key("nobody@example.com")}, set())
    assert not fp.found
    assert fp.order_ids == set()      # not the guest order, whose contact id is empty
    assert purge_tables(con, fp) == {}
    assert row_counts(con) == before


def test_guest_order_is_found_by_its_address_alone(con):
    fp = find_footprint(con, {email_key(GUEST_EMAIL)}, set())
    assert fp.order_ids == {"O-3"} and not fp.contact_ids and not fp.person_ids
    assert fp.found
    assert fp.emails == {GUEST_EMAIL}       # so that files and quarantined lines naming it are cleaned too
    assert {("orders", "orders/orders.csv", 4), ("order_items", "orders/order_items.csv", 5)} <= fp.landing_rows
    removed = purge_tables(con, fp)
    assert removed == {"raw.orders": 1, "raw.order_items": 1}
    assert ids(con, "select order_id from raw.orders") == ["O-1", "O-2"]


def test_tables_without_a_personal_column_are_left_alone(con):
    con.execute("create table sync.settings (key varchar, value varchar)")
    con.execute(f"insert into sync.settings values ('owner', '{ANNA_EMAIL}')")   # no personal column name
    fp = find_footprint(con, {email_key(ANNA_EMAIL)}, set())
    assert "sync.settings" not in purge_tables(con, fp)
    assert con.execute("select count(*) from sync.settings").fetchall()[0][0] == 1


# ---------------------------------------------------------------- text_pattern

def matches(values, text):
    """Whether the pattern matches `text`, in DuckDB (the purge) and in Python (the file redaction)."""
    pattern = text_pattern(values)
    in_duckdb = duckdb.connect().execute("select regexp_matches(?, ?)", [text, pattern]).fetchall()[0][0]
    in_python = re.search(pattern.removeprefix("(?i)"), text, re.IGNORECASE) is not None
    assert in_duckdb == in_python, text
    return in_duckdb


@pytest.mark.parametrize("text", ["C100", "id C100 here", "C100,anna", "x,C100", '"C100"', "(C100)",
                                  "contact C100.", "C100\n"])
def test_text_pattern_matches_a_whole_token(text):
    assert matches({"C100"}, text)


@pytest.mark.parametrize("text", ["C1000", "xC100", "C100x", "C100_2", "C100-2", "a.C100", "C100@example",
                                  "C10", "c100a", "C100.5"])
def test_text_pattern_does_not_match_part_of_a_token(text):
    assert not matches({"C100"}, text)


def test_text_pattern_emails_case_insensitive_and_whole():
    assert matches({ANNA_EMAIL}, "mail: Anna.Schmidt@EXAMPLE.com, thanks")
    assert matches({ANNA_EMAIL}, f'{{"email": "{ANNA_EMAIL}"}}')
    assert matches({ANNA_EMAIL}, f"write to {ANNA_EMAIL}.")            # end of a sentence
    assert not matches({ANNA_EMAIL}, f"h{ANNA_EMAIL}")                    # hanna.schmidt@...
    assert not matches({ANNA_EMAIL}, f"{ANNA_EMAIL}.au")                  # another address
    assert not matches({ANNA_EMAIL}, "anna.schmidt@example.community")
    assert not matches({ANNA_EMAIL}, f"x+{ANNA_EMAIL}")


def test_text_pattern_of_nothing_is_none():
    assert text_pattern(set()) is None


def test_text_pattern_escapes_regex_characters():
    assert matches({"a+b@example.com"}, "to a+b@example.com now")
    assert not matches({"a+b@example.com"}, "to aab@example.com now")
    assert not matches({"C1.0"}, "C100")
