"""apply_erasures: requests (from `forget` or the suppression list) become `erased` or `not_found`, only hashes
are kept, and the erasure report names the request, never the person."""

import json
import re
from datetime import datetime

import duckdb
import pytest

from orchestration.lib.core import email_key, sha256_hex
from orchestration.lib.erasure import (
    ErasureRequest,
    add_requests,
    apply_erasures,
    pending_requests,
    write_report,
)
from tests.erasure.builders import (
    ANNA_EMAIL,
    ANNA_PHONE_E164,
    ANNA_VALUES,
    ANNA_WORK_EMAIL,
    BOB_EMAIL,
    base_tables,
    build_warehouse,
    row_counts,
    rows_as_text,
)

NOW = datetime(2026, 10, 2, 8, 30)
HEX64 = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "wh.duckdb"))
    build_warehouse(c)
    yield c
    c.close()


def request(email=None, phone=None, source="test"):
    return ErasureRequest.from_address(email, phone, source)


def erasure_rows(con) -> list[str]:
    return [text for t in base_tables(con) if t.startswith("erasure.") for text in rows_as_text(con, t)]


def test_a_request_is_applied_and_only_hashes_are_kept(con, tmp_path):
    [request_id] = add_requests(con, [request(" Anna.Schmidt@Example.com ", ANNA_PHONE_E164)], NOW)
    assert pending_requests(con) == [(request_id, email_key(ANNA_EMAIL), sha256_hex(ANNA_PHONE_E164), "test")]

    [result] = apply_erasures(con, NOW, "run-1", [tmp_path / "reports"])
    assert (result.request_id, result.status, result.persons, result.run_id) == (request_id, "erased", 1, "run-1")
    assert result.tables["raw.contacts"] == 2 and result.tables["identity.identity_map"] == 5
    assert con.execute("select status, applied_at, applied_run_id, persons from erasure.requests").fetchall() == [
        ("erased", NOW, "run-1", 1)]
    assert pending_requests(con) == []
    assert con.execute("select count(*) from raw.contacts where contact_id in ('C100', 'C101')").fetchall() == [(0,)]

    tombstones = con.execute("select key_type, key_sha256, request_id from erasure.tombstones").fetchall()
    assert all(HEX64.match(h) for _, h, _ in tombstones)
    assert {rid for _, _, rid in tombstones} == {request_id}
    kept = {(kind, h) for kind, h, _ in tombstones}
    assert {("email", email_key(ANNA_EMAIL)), ("email", email_key(ANNA_WORK_EMAIL)),
            ("phone", sha256_hex(ANNA_PHONE_E164)), ("contact_id", sha256_hex("C100")),
            ("contact_id", sha256_hex("C101")), ("user_id", sha256_hex("u-anna")),
            ("anonymous_id", sha256_hex("anon-anna-1")), ("anonymous_id", sha256_hex("anon-anna-2")),
            ("order_id", sha256_hex("O-1"))} <= kept
    assert ("contact_id", sha256_hex("C1000")) not in kept and ("email", email_key(BOB_EMAIL)) not in kept
    assert result.tombstones == dict(con.execute("select key_type, count(*) from erasure.tombstones "
                                                 "group by 1").fetchall())

    # what was removed is on record, per table (counts only)
    assert dict(con.execute("select location, rows from erasure.removals where kind = 'table'").fetchall()
                ) == result.tables
    for text in erasure_rows(con):
        for value in (*ANNA_VALUES, "c100", "c101"):
            assert value.lower() not in text
    # segment history keeps the pseudonymous person_id, and says so
    assert result.pseudonymous == {"segments.segment_history": 1}


def test_a_phone_alone_finds_the_person(con, tmp_path):
    add_requests(con, [request(None, ANNA_PHONE_E164)], NOW)
    [result] = apply_erasures(con, NOW, None, [])
    assert result.status == "erased"
    assert con.execute("select contact_id from raw.contacts order by 1").fetchall() == [("C1000",), ("C200",)]


def test_an_erasure_row_of_the_suppression_list_is_a_request(con, tmp_path):
    con.execute("insert into raw.suppression values ('suppression/esp.csv', 7, ?, ' Erasure ', "
                "'2026-09-30T00:00:00Z', null)", [email_key(ANNA_EMAIL)])
    [result] = apply_erasures(con, NOW, "run-2", [])
    assert result.status == "erased"
    assert result.source == "suppression suppression/esp.csv:7"
    assert result.request_id == request(ANNA_EMAIL).request_id
    assert con.execute("select source, status from erasure.requests").fetchall() == [
        ("suppression suppression/esp.csv:7", "erased")]
    # Bob's bounce is no request; the suppression list keeps every row (hashes only)
    assert con.execute("select count(*) from raw.suppression").fetchall() == [(3,)]
    assert con.execute("select count(*) from raw.contacts where contact_id = 'C100'").fetchall() == [(0,)]
    # a second run does not make it a request again
    assert apply_erasures(con, NOW, "run-3", []) == []
    assert con.execute("select count(*) from erasure.requests").fetchall() == [(1,)]


def test_an_address_nobody_holds_is_not_found_and_changes_nothing_else(con, tmp_path):
    before = row_counts(con, exclude_schemas=("erasure",))
    add_requests(con, [request("nobody@example.com")], NOW)
    [result] = apply_erasures(con, NOW, "run-1", [tmp_path / "reports"])
    assert result.status == "not_found"
    assert result.tables == {} and result.files == {} and result.persons == 0
    assert row_counts(con, exclude_schemas=("erasure",)) == before
    assert con.execute("select status from erasure.requests").fetchall() == [("not_found",)]
    # its hash is still kept, so that data arriving later is dropped
    assert con.execute("select key_type, key_sha256, request_id from erasure.tombstones").fetchall() == [
        ("email", email_key("nobody@example.com"), result.request_id)]


def test_a_repeated_request_is_one_request(con):
    first = request("Anna.Schmidt@Example.com")
    again = request("  anna.schmidt@EXAMPLE.com\t")
    assert first.request_id == again.request_id
    assert ANNA_EMAIL not in first.request_id and email_key(ANNA_EMAIL) not in first.request_id
    assert add_requests(con, [first], NOW) == [first.request_id]
    assert add_requests(con, [again], NOW) == []
    assert add_requests(con, [first, again], NOW) == []
    assert con.execute("select count(*) from erasure.requests").fetchall() == [(1,)]
    # another address, or the same address with a phone, is another request
    assert request(BOB_EMAIL).request_id != first.request_id
    assert request(ANNA_EMAIL, ANNA_PHONE_E164).request_id != first.request_id


def test_a_request_needs_an_address_or_a_phone():
    with pytest.raises(ValueError):
        request("  ", None)


def test_files_under_the_folders_are_cleaned(con, tmp_path):
    review = tmp_path / "review"
    review.mkdir()
    (review / "queue.csv").write_text(f"left_id,right_id,left_email\nC100,C101,{ANNA_EMAIL}\nC1000,C7,{BOB_EMAIL}\n",
                                      encoding="utf-8")
    add_requests(con, [request(ANNA_EMAIL)], NOW)
    [result] = apply_erasures(con, NOW, None, [review, tmp_path / "missing"])
    assert result.files == {str(review / "queue.csv"): 1}
    assert (review / "queue.csv").read_text(encoding="utf-8") == f"left_id,right_id,left_email\nC1000,C7,{BOB_EMAIL}\n"
    assert con.execute("select location, kind, rows from erasure.removals where kind = 'file'").fetchall() == [
        (str(review / "queue.csv"), "file", 1)]


def test_the_report_names_the_request_and_the_counts_never_the_person(con, tmp_path):
    add_requests(con, [request(ANNA_EMAIL, ANNA_PHONE_E164)], NOW)
    [result] = apply_erasures(con, NOW, "run-9", [])
    md = write_report(result, tmp_path / "reports" / "erasure")
    assert md == tmp_path / "reports" / "erasure" / f"{result.request_id}.md"
    data_path = md.with_suffix(".json")
    assert md.is_file() and data_path.is_file()

    text = md.read_text(encoding="utf-8")
    assert result.request_id in text and "run-9" in text and "**erased**" in text
    assert "| raw.contacts | 2 |" in text and "| identity.identity_map | 5 |" in text
    assert "| raw.events | 3 |" in text
    assert "crm/contacts.csv" in text          # the landing lines still holding the person
    data = json.loads(data_path.read_text(encoding="utf-8"))
    assert data["request_id"] == result.request_id and data["status"] == "erased"
    assert data["tables"] == result.tables and data["tables"]["raw.order_items"] == 2
    assert data["landing"]["crm/contacts.csv"] == [2, 3, 4]     # two records and the quarantined line
    for content in (text, data_path.read_text(encoding="utf-8")):
        for value in (*ANNA_VALUES, email_key(ANNA_EMAIL), sha256_hex(ANNA_PHONE_E164)):
            assert value.lower() not in content.lower()


def test_a_not_found_report_says_so(con, tmp_path):
    add_requests(con, [request("nobody@example.com")], NOW)
    [result] = apply_erasures(con, NOW, None, [])
    text = write_report(result, tmp_path / "out").read_text(encoding="utf-8")
    assert "**not_found**" in text and "Nothing: no table held this person." in text
    assert "nobody@example.com" not in text
