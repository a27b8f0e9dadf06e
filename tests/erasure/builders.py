"""A small warehouse built by hand for the erasure tests: who is in it, and in which rows.

Anna (person P-A) is the one to forget. She is known by two CRM records (C100 with her address and phone,
C101, a merged duplicate with another address), a userId, two devices (anonymousIds), an order with two
lines, quarantined lines, a row of a table no list names (sync.ledger), segment history and a suppression row.
Bob (P-B) and Carla (P-C) are unrelated; Bob's contact id C1000 starts with Anna's C100, Bob has no phone,
and there is a guest order without a contact id: none of that may be touched when Anna is forgotten.
"""

from __future__ import annotations

import json

import duckdb

from orchestration.lib.core import email_key, sha256_hex
from orchestration.lib.ingest import prepare

ANNA_EMAIL = "anna.schmidt@example.com"
ANNA_EMAIL_AS_WRITTEN = " Anna.Schmidt@Example.com "
ANNA_WORK_EMAIL = "a.schmidt@work.example"
ANNA_PHONE_E164 = "+49301234567"
ANNA_PHONE_AS_WRITTEN = "+49 30 1234567"
BOB_EMAIL = "bob.meier@example.org"
CARLA_EMAIL = "carla.weber@example.net"
GUEST_EMAIL = "guest.buyer@example.net"
DAY = "2026-10-01"
EVENTS_FILE = f"events/{DAY}/events.jsonl"

# every value that names Anna: none may remain anywhere after her erasure
ANNA_VALUES = (ANNA_EMAIL, ANNA_WORK_EMAIL, ANNA_PHONE_E164, ANNA_PHONE_AS_WRITTEN, "u-anna", "anon-anna-1",
               "anon-anna-2", "Schmidt")

CONTACT_COLUMNS = ("contact_id", "email", "first_name", "last_name", "phone", "gender", "birth_date", "city",
                   "postal_code", "country", "created_at", "updated_at", "email_opt_in", "source")


def _contact(file: str, line: int, contact_id: str, email: str, first: str, last: str, phone: str) -> tuple:
    return (file, line, contact_id, email, first, last, phone, "F", "1990-05-01", "Berlin", "10115", "DE",
            "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "true", "web", None)


def build_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    prepare(con)
    con.execute("create schema if not exists identity")
    con.execute("""create table identity.contacts_normalized (contact_id varchar, email varchar,
                   email_hash varchar, phone_e164 varchar, phone_hash varchar, first_name varchar,
                   last_name varchar)""")
    normalized = [
        ("C100", ANNA_EMAIL, email_key(ANNA_EMAIL), ANNA_PHONE_E164, sha256_hex(ANNA_PHONE_E164), "Anna", "Schmidt"),
        ("C101", ANNA_WORK_EMAIL, email_key(ANNA_WORK_EMAIL), None, None, "Anna", "Schmidt"),
        ("C1000", BOB_EMAIL, email_key(BOB_EMAIL), None, None, "Bob", "Meier"),
        ("C200", CARLA_EMAIL, email_key(CARLA_EMAIL), None, None, "Carla", "Weber"),
    ]
    con.executemany("insert into identity.contacts_normalized values (?, ?, ?, ?, ?, ?, ?)", normalized)
    con.execute("""create table identity.identity_map (id_type varchar, id_value varchar, person_id varchar,
                   linked_by varchar, probability double)""")
    con.executemany("insert into identity.identity_map values (?, ?, ?, ?, ?)", [
        ("contact_id", "C100", "P-A", "self", 1.0),
        ("contact_id", "C101", "P-A", "fellegi_sunter", 0.97),
        ("user_id", "u-anna", "P-A", "contact_id", 1.0),
        ("anonymous_id", "anon-anna-1", "P-A", "identify", 1.0),
        ("anonymous_id", "anon-anna-2", "P-A", "identify", 1.0),
        ("contact_id", "C1000", "P-B", "self", 1.0),
        ("user_id", "u-bob", "P-B", "contact_id", 1.0),
        ("anonymous_id", "anon-bob", "P-B", "identify", 1.0),
        ("contact_id", "C200", "P-C", "self", 1.0),
    ])
    placeholders = ", ".join("?" * (len(CONTACT_COLUMNS) + 3))
    con.executemany(f"insert into raw.contacts values ({placeholders})", [
        _contact("crm/contacts.csv", 2, "C100", ANNA_EMAIL_AS_WRITTEN, "Anna", "Schmidt", ANNA_PHONE_AS_WRITTEN),
        _contact("crm/contacts.csv", 3, "C101", ANNA_WORK_EMAIL, "Anna", "Schmidt", ""),
        _contact("crm/contacts.csv", 5, "C1000", BOB_EMAIL, "Bob", "Meier", ""),
        _contact("crm/contacts.csv", 6, "C200", CARLA_EMAIL, "Carla", "Weber", ""),
    ])
    events = [
        (1, "m-1", "u-anna", "anon-anna-1", "identify", None, json.dumps({"email": ANNA_EMAIL, "first_name": "Anna"}),
         None, ANNA_EMAIL),
        (2, "m-2", "u-anna", "anon-anna-1", "track", "Order Completed", None, "O-1", None),
        (3, "m-3", None, "anon-anna-2", "page", None, None, None, None),
        (4, "m-4", "u-bob", "anon-bob", "identify", None, json.dumps({"email": BOB_EMAIL}), None, BOB_EMAIL),
        (6, "m-6", None, "anon-bob", "track", "Product Viewed", None, None, None),
    ]
    con.executemany("""insert into raw.events (received_date, source_file, line_no, occurred_at, message_id,
                       user_id, anonymous_id, type, event, traits, order_id, trait_email)
                       values (?, ?, ?, timestamp '2026-10-01 10:00:00', ?, ?, ?, ?, ?, ?, ?, ?)""",
                    [(DAY, EVENTS_FILE, *row) for row in events])
    con.executemany("insert into raw.orders values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        ("orders/orders.csv", 2, "O-1", "C100", ANNA_EMAIL, "2026-09-01T00:00:00Z", "completed", "EUR", "40", None),
        ("orders/orders.csv", 3, "O-2", "C1000", BOB_EMAIL, "2026-09-02T00:00:00Z", "completed", "EUR", "25", None),
        # a guest checkout: no contact id
        ("orders/orders.csv", 4, "O-3", "", GUEST_EMAIL, "2026-09-03T00:00:00Z", "completed", "EUR", "10", None),
    ])
    con.executemany("insert into raw.order_items values (?, ?, ?, ?, ?, ?, ?)", [
        ("orders/order_items.csv", 2, "O-1", "P1", "1", "20", None),
        ("orders/order_items.csv", 3, "O-1", "P2", "2", "10", None),
        ("orders/order_items.csv", 4, "O-2", "P1", "1", "25", None),
        ("orders/order_items.csv", 5, "O-3", "P3", "1", "10", None),
    ])
    con.executemany("insert into quarantine.records values (?, ?, ?, ?, ?, ?)", [
        ("contacts", "crm/contacts.csv", 4, "bad_value", "created_at: soon is not a timestamp",
         f"C100,{ANNA_EMAIL},Anna,Schmidt,,F,1990-05-01,Berlin,10115,DE,soon,soon,true,web"),
        ("contacts", "crm/contacts.csv", 7, "bad_value", "created_at: later is not a timestamp",
         f"C1000,{BOB_EMAIL},Bob,Meier,,M,1985-01-01,Hamburg,20095,DE,later,later,true,web"),
    ])
    con.executemany("insert into quarantine.events values (?, ?, ?, ?, ?)", [
        (DAY, EVENTS_FILE, 5, "bad_timestamp",
         '{"type": "track", "messageId": "m-5", "userId": "u-anna", "timestamp": "yesterday"}'),
        (DAY, EVENTS_FILE, 7, "bad_timestamp",
         '{"type": "track", "messageId": "m-7", "userId": "u-bob", "timestamp": "yesterday"}'),
    ])
    con.execute("create schema sync")
    con.execute("create table sync.ledger (person_id varchar, email varchar)")
    con.executemany("insert into sync.ledger values (?, ?)", [
        ("P-A", ANNA_EMAIL), (None, " A.Schmidt@Work.Example "), ("P-B", BOB_EMAIL)])
    con.execute("create schema segments")
    con.execute("create table segments.segment_history (person_id varchar, segment varchar, entered_at date)")
    con.executemany("insert into segments.segment_history values (?, ?, date '2026-09-01')",
                    [("P-A", "vip"), ("P-B", "vip")])
    con.executemany("insert into raw.suppression values (?, ?, ?, ?, ?, ?)", [
        ("suppression/list.csv", 2, email_key(ANNA_EMAIL), "unsubscribed", "2026-08-01T00:00:00Z", None),
        ("suppression/list.csv", 3, email_key(BOB_EMAIL), "bounced", "2026-08-02T00:00:00Z", None),
    ])


def base_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [f"{s}.{t}" for s, t in con.execute(
        "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
        "and table_catalog = current_database() order by all").fetchall()]


def row_counts(con: duckdb.DuckDBPyConnection, exclude_schemas: tuple[str, ...] = ()) -> dict[str, int]:
    return {t: con.execute(f"select count(*) from {t}").fetchall()[0][0]
            for t in base_tables(con) if t.split(".")[0] not in exclude_schemas}


def rows_as_text(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Every row of `table` as one lower-cased text (what a search of the relation for a value would see)."""
    return [r[0] for r in con.execute(f"select lower(t::varchar) from {table} t").fetchall()]
