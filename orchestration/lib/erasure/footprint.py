"""Whom an erasure request is about, and everything they are known by in the warehouse.

A request names a person by the hash of an address (or phone). Their footprint starts at every record that
holds it (CRM contacts, by normalized or raw address or phone; identify traits; orders) and follows the
identity map to the whole person: every merged duplicate record, every userId and anonymousId (device).
What it gathers (ids, addresses, phones, names as written) lives in memory only, for the purge and the
file redaction; the tombstones keep hashes of the keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from orchestration.lib.core import table_exists

ID_TYPES = ("contact_id", "user_id", "anonymous_id")


@dataclass
class Footprint:
    person_ids: set[str] = field(default_factory=set)
    contact_ids: set[str] = field(default_factory=set)
    user_ids: set[str] = field(default_factory=set)
    anonymous_ids: set[str] = field(default_factory=set)
    order_ids: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)        # trimmed, lower-cased
    phones: set[str] = field(default_factory=set)        # E.164 and as written
    names: set[str] = field(default_factory=set)         # "first last" as written
    landing_rows: set[tuple[str, str, int]] = field(default_factory=set)   # (dataset, file, line) still in landing

    @property
    def found(self) -> bool:
        return bool(self.contact_ids or self.user_ids or self.anonymous_ids or self.order_ids or self.person_ids)

    def ids(self) -> dict[str, set[str]]:
        return {"contact_id": self.contact_ids, "user_id": self.user_ids, "anonymous_id": self.anonymous_ids}

    def texts(self) -> set[str]:
        """Every value that identifies the person in free text (a quarantined line, a report)."""
        return {v for v in (*self.emails, *self.phones, *self.contact_ids, *self.user_ids, *self.anonymous_ids,
                            *self.names) if v and len(v) >= 4}


def _rows(con, sql: str, params: dict) -> list[tuple]:
    """Run `sql` with those of `params` it names (DuckDB refuses any other)."""
    return con.execute(sql, named_params(sql, params)).fetchall()


def named_params(sql: str, params: dict) -> dict:
    """The entries of `params` that `sql` names as `$name`."""
    return {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}


def find_footprint(con: duckdb.DuckDBPyConnection, email_hashes: set[str], phone_hashes: set[str]) -> Footprint:
    """The footprint of the person(s) holding any of the hashed addresses / phones (empty when none does)."""
    fp = Footprint()
    p = {"e": sorted(email_hashes), "p": sorted(phone_hashes)}
    if table_exists(con, "identity", "contacts_normalized"):
        fp.contact_ids |= {r[0] for r in _rows(con, """select contact_id from identity.contacts_normalized
            where email_hash in (select unnest($e)) or phone_hash in (select unnest($p))""", p)}
    if table_exists(con, "raw", "contacts"):
        fp.contact_ids |= {r[0] for r in _rows(con, """select trim(contact_id) from raw.contacts
            where sha256(lower(trim(email))) in (select unnest($e)) and nullif(trim(contact_id), '') is not null""", p)}
    if table_exists(con, "raw", "events"):
        for user_id, anonymous_id in _rows(con, """select user_id, anonymous_id from raw.events
                where sha256(lower(trim(json_extract_string(traits, '$.email')))) in (select unnest($e))""", p):
            fp.user_ids |= {user_id} - {None}
            fp.anonymous_ids |= {anonymous_id} - {None}
    if table_exists(con, "raw", "orders"):
        for order_id, contact_id, email in _rows(con, """select trim(order_id), nullif(trim(contact_id), ''),
                lower(trim(email)) from raw.orders where sha256(lower(trim(email))) in (select unnest($e))""", p):
            fp.order_ids.add(order_id)
            fp.contact_ids |= {contact_id} - {None}
            fp.emails.add(email)   # the requested address itself (a guest order has no contact to give it)
    _expand_through_identity_map(con, fp)
    _gather_values(con, fp, p)
    return fp


def _expand_through_identity_map(con, fp: Footprint) -> None:
    """Every id of every person one of the found ids resolves to (the map is already transitive)."""
    if not table_exists(con, "identity", "identity_map"):
        return
    ids = [f"{t}:{v}" for t, values in fp.ids().items() for v in values]
    fp.person_ids |= {r[0] for r in _rows(con, """select distinct person_id from identity.identity_map
        where id_type || ':' || id_value in (select unnest($ids))""", {"ids": ids})}
    for id_type, id_value in _rows(con, """select id_type, id_value from identity.identity_map
            where person_id in (select unnest($persons))""", {"persons": sorted(fp.person_ids)}):
        fp.ids().get(id_type, set()).add(id_value)


def _gather_values(con, fp: Footprint, p: dict) -> None:
    """The addresses, phones, names and orders of the whole person, as the warehouse holds them."""
    c = {"c": sorted(fp.contact_ids), "u": sorted(fp.user_ids), "a": sorted(fp.anonymous_ids), **p}
    if table_exists(con, "identity", "contacts_normalized"):
        for email, phone in _rows(con, """select email, phone_e164 from identity.contacts_normalized
                where contact_id in (select unnest($c))""", c):
            fp.emails |= {email.strip().lower()} if email else set()
            fp.phones |= {phone} if phone else set()
    if table_exists(con, "raw", "contacts"):
        for file, line, email, phone, first, last in _rows(con, """select source_file, line_no, email, phone,
                first_name, last_name from raw.contacts where trim(contact_id) in (select unnest($c))""", c):
            fp.landing_rows.add(("contacts", file, line))
            fp.emails |= {email.strip().lower()} if (email or "").strip() else set()
            fp.phones |= {phone.strip()} if (phone or "").strip() else set()
            name = " ".join(x.strip() for x in (first, last) if (x or "").strip())
            fp.names |= {name} if " " in name else set()
    if table_exists(con, "raw", "events"):
        for file, line, email, order_id in _rows(con, """select source_file, line_no,
                json_extract_string(traits, '$.email'), order_id from raw.events
                where user_id in (select unnest($u)) or anonymous_id in (select unnest($a))""", c):
            fp.landing_rows.add(("events", file, line))
            fp.emails |= {email.strip().lower()} if (email or "").strip() else set()
            fp.order_ids |= {order_id} if order_id else set()
    if table_exists(con, "raw", "orders"):
        emails = {"em": sorted(fp.emails)}
        for file, line, order_id in _rows(con, """select source_file, line_no, trim(order_id) from raw.orders
                where trim(contact_id) in (select unnest($c)) or lower(trim(email)) in (select unnest($em))
                or trim(order_id) in (select unnest($o))""", {**c, **emails, "o": sorted(fp.order_ids)}):
            fp.landing_rows.add(("orders", file, line))
            fp.order_ids.add(order_id)
    if table_exists(con, "raw", "suppression"):
        for file, line in _rows(con, "select source_file, line_no from raw.suppression "
                                     "where email_sha256 in (select unnest($e))", p):
            fp.landing_rows.add(("suppression", file, line))
    if table_exists(con, "raw", "order_items"):
        for file, line in _rows(con, "select source_file, line_no from raw.order_items "
                                     "where trim(order_id) in (select unnest($o))", {"o": sorted(fp.order_ids)}):
            fp.landing_rows.add(("order_items", file, line))
