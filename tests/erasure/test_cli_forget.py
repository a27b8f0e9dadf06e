"""`microseg forget`: records a request by its hash only, says so without ever printing the address, applies
it with --now (report in reports/erasure/), and turns bad input into usage errors."""

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli.main import main
from orchestration.lib.core import email_key
from orchestration.lib.erasure import ErasureRequest
from tests.erasure.builders import ANNA_EMAIL, ANNA_VALUES, BOB_EMAIL, build_warehouse


@pytest.fixture
def folders(tmp_path, monkeypatch):
    reports, review = tmp_path / "reports", tmp_path / "review"
    monkeypatch.setenv("MICROSEG_REPORTS", str(reports))
    monkeypatch.setenv("MICROSEG_REVIEW", str(review))
    monkeypatch.setenv("MICROSEG_LANDING", str(tmp_path / "landing"))
    return reports, review


@pytest.fixture
def wh(tmp_path, folders):
    return tmp_path / "wh.duckdb"


def forget(*args):
    result = CliRunner().invoke(main, ["forget", *args])
    output = result.output + (result.stderr or "")
    return result, output


def requests(wh):
    con = duckdb.connect(str(wh))
    try:
        return con.execute("select request_id, email_sha256, phone_sha256, status from erasure.requests "
                           "order by request_id").fetchall()
    finally:
        con.close()


def test_a_request_is_recorded_by_its_hash_and_the_address_is_never_printed(wh):
    result, output = forget("--email", " Anna.Schmidt@Example.com", "--warehouse", str(wh))
    assert result.exit_code == 0, output
    request_id = ErasureRequest.from_address(ANNA_EMAIL, None, "x").request_id
    assert requests(wh) == [(request_id, email_key(ANNA_EMAIL), None, "pending")]
    assert f"{request_id}: recorded" in output and "1 request(s) pending" in output
    assert ANNA_EMAIL not in output.lower() and email_key(ANNA_EMAIL) not in output

    again, output = forget("--email", "anna.schmidt@example.com ", "--warehouse", str(wh))
    assert again.exit_code == 0, output
    assert f"{request_id}: already recorded" in output and "0 request(s) pending" in output
    assert ANNA_EMAIL not in output.lower()
    assert len(requests(wh)) == 1


def test_now_applies_the_request_and_writes_its_report(wh, folders):
    reports, review = folders
    con = duckdb.connect(str(wh))
    build_warehouse(con)
    con.close()
    review.mkdir()
    (review / "queue.csv").write_text("left_id,right_id\nC100,C101\nC1000,C9\n", encoding="utf-8")
    assert ANNA_EMAIL.encode() in wh.read_bytes()          # the premise: the file holds the address

    result, output = forget("--email", ANNA_EMAIL, "--now", "--warehouse", str(wh))

    assert result.exit_code == 0, output
    request_id = ErasureRequest.from_address(ANNA_EMAIL, None, "x").request_id
    assert [(r[0], r[3]) for r in requests(wh)] == [(request_id, "erased")]
    report = reports / "erasure" / f"{request_id}.md"
    assert report.is_file() and (reports / "erasure" / f"{request_id}.json").is_file()
    assert f"{request_id}: erased" in output and str(report) in output
    for value in ANNA_VALUES:
        assert value.lower() not in output.lower()
        assert value.lower() not in report.read_text(encoding="utf-8").lower()
    assert (review / "queue.csv").read_text(encoding="utf-8") == "left_id,right_id\nC1000,C9\n"
    con = duckdb.connect(str(wh))
    assert con.execute("select contact_id from raw.contacts order by 1").fetchall() == [("C1000",), ("C200",)]
    con.close()
    # compacted: the address is not in the file's bytes either
    assert ANNA_EMAIL.encode() not in wh.read_bytes().lower()
    assert not wh.with_name("wh.duckdb.compacting").exists()


def test_a_file_of_requests(wh, tmp_path):
    path = tmp_path / "requests.csv"
    path.write_text(f"Email,name\n{ANNA_EMAIL},Anna\n,nobody\n{BOB_EMAIL.upper()},Bob\n", encoding="utf-8")
    result, output = forget("--file", str(path), "--warehouse", str(wh))
    assert result.exit_code == 0, output
    assert sorted(r[1] for r in requests(wh)) == sorted([email_key(ANNA_EMAIL), email_key(BOB_EMAIL)])
    assert "requests.csv:2" in output and "requests.csv:4" in output
    assert ANNA_EMAIL not in output.lower() and BOB_EMAIL not in output.lower()


def test_a_file_without_an_email_or_phone_column_is_a_usage_error(wh, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(f"name,address\nAnna,{ANNA_EMAIL}\n", encoding="utf-8")
    result, output = forget("--file", str(path), "--warehouse", str(wh))
    assert result.exit_code == 2, output
    assert "people.csv" in output and "email" in output
    assert ANNA_EMAIL not in output
    assert not wh.exists()


@pytest.mark.parametrize("address", ["anna.schmidt@@example.com", "anna.schmidt", "  "])
def test_a_malformed_or_empty_address_is_a_usage_error(wh, address):
    result, output = forget("--email", address, "--warehouse", str(wh))
    assert result.exit_code == 2, output
    assert "--email #1" in output
    if address.strip():
        assert address not in output
    assert not wh.exists()


def test_a_malformed_address_in_a_file_names_its_line(wh, tmp_path):
    path = tmp_path / "requests.csv"
    path.write_text(f"email\n{ANNA_EMAIL}\nnot-an-address\n", encoding="utf-8")
    result, output = forget("--file", str(path), "--warehouse", str(wh))
    assert result.exit_code == 2, output
    assert "requests.csv:3" in output and "not-an-address" not in output
    assert not wh.exists()


def test_no_arguments_is_a_usage_error(wh):
    result, output = forget("--warehouse", str(wh))
    assert result.exit_code == 2, output
    assert "--email" in output
    result, output = forget()
    assert result.exit_code == 2, output
