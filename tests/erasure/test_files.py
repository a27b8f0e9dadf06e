"""redact_files: a CSV loses the person's rows (every other byte stays), any other text file has each mention
replaced by [erased], binary files and missing folders are left alone."""

import json

import duckdb

from orchestration.lib.erasure import Footprint, redact_files
from orchestration.lib.erasure.files import REDACTED

EMAIL = "anna.schmidt@example.com"
OTHER = "bob.meier@example.org"


def footprint() -> Footprint:
    return Footprint(person_ids={"P-A"}, contact_ids={"C100", "C101"}, user_ids={"u-anna"},
                     anonymous_ids={"anon-anna-1"}, emails={EMAIL}, phones={"+49301234567"},
                     names={"Anna Schmidt"})


def write_queue(path):
    """A review queue as microseg writes it (DuckDB's COPY: an empty decision is written as "")."""
    con = duckdb.connect()
    con.execute("""create table q as select * from (values
        ('C100', 'C101', 0.91, 'Anna Schmidt', 'Anna Schmidt', 'ANNA.SCHMIDT@example.com', 'a.s@work.example'),
        ('C1000', 'C2000', 0.88, 'Bob Meier', 'Bob, Meier', 'bob.meier@example.org', ''),
        ('C3000', 'C100', 0.75, 'Carla Weber', 'A. Schmidt', 'carla@example.net', null),
        ('C4000', 'C5000', 0.70, 'Dora "D" Klein', 'Dora Klein', 'dora@example.net', 'C100x@example.net')
        ) t(left_id, right_id, probability, left_name, right_name, left_email, right_email)""")
    con.execute(f"copy (select *, '' as decision from q) to '{path}' (header, delimiter ',')")
    con.close()


def test_a_csv_loses_the_persons_rows_and_keeps_every_other_byte(tmp_path):
    review = tmp_path / "review"
    review.mkdir()
    write_queue(review / "queue.csv")
    original = (review / "queue.csv").read_text(encoding="utf-8")
    lines = original.splitlines(keepends=True)
    assert len(lines) == 5 and '""' in lines[2] and '"Bob, Meier"' in lines[2]    # the premise

    changed = redact_files([review], footprint())

    assert changed == {str(review / "queue.csv"): 2}           # C100/C101 and C3000/C100
    assert (review / "queue.csv").read_text(encoding="utf-8") == lines[0] + lines[2] + lines[4]


def test_a_csv_with_windows_line_ends_keeps_them(tmp_path):
    path = tmp_path / "decisions.csv"
    path.write_bytes(b'left_id,right_id,decision\r\nC100,C9,merge\r\n"C1000","C9",separate\r\n')
    assert redact_files([tmp_path], footprint()) == {str(path): 1}
    assert path.read_bytes() == b'left_id,right_id,decision\r\n"C1000","C9",separate\r\n'


def test_a_csv_whose_header_names_the_person_keeps_it(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("id,C100\nx,1\nC100,2\n", encoding="utf-8")
    assert redact_files([tmp_path], footprint()) == {str(path): 1}
    assert path.read_text(encoding="utf-8") == "id,C100\nx,1\n"


def test_text_files_have_each_mention_replaced(tmp_path):
    reports = tmp_path / "reports"
    nested = reports / "data_docs" / "validations" / "run-1"
    nested.mkdir(parents=True)
    report = reports / "load_report.json"
    report.write_text(json.dumps({"sample": [EMAIL, OTHER], "note": f"first seen as {EMAIL.upper()}"}, indent=2),
                      encoding="utf-8")
    page = nested / "index.html"
    page.write_text(f"<td>{EMAIL}</td><td>{OTHER}</td>\n<p>{EMAIL},{EMAIL}</p>\n<p>C1000 hanna.schmidt@example.com</p>",
                    encoding="utf-8")

    changed = redact_files([reports], footprint())

    assert changed == {str(report): 2, str(page): 3}
    report_text = report.read_text(encoding="utf-8")
    assert report_text == json.dumps({"sample": [REDACTED, OTHER], "note": f"first seen as {REDACTED}"}, indent=2)
    assert page.read_text(encoding="utf-8") == (f"<td>{REDACTED}</td><td>{OTHER}</td>\n<p>{REDACTED},{REDACTED}</p>\n"
                                                "<p>C1000 hanna.schmidt@example.com</p>")
    assert REDACTED == "[erased]"


def test_binary_and_unrelated_files_are_untouched(tmp_path):
    binary = tmp_path / "chart.png"
    content = b"\x89PNG\r\n\x1a\n\x00\xff\xfe" + EMAIL.encode() + b"\xff\x00"
    binary.write_bytes(content)
    unrelated = tmp_path / "sub" / "notes.md"
    unrelated.parent.mkdir()
    unrelated.write_text(f"only {OTHER} here, and C1000\n", encoding="utf-8")
    before = unrelated.stat().st_mtime_ns

    assert redact_files([tmp_path], footprint()) == {}
    assert binary.read_bytes() == content
    assert unrelated.read_text(encoding="utf-8") == f"only {OTHER} here, and C1000\n"
    assert unrelated.stat().st_mtime_ns == before


def test_missing_folders_are_skipped(tmp_path):
    present = tmp_path / "present"
    present.mkdir()
    (present / "a.txt").write_text(f"write to {EMAIL}.\n", encoding="utf-8")    # a full stop ends the sentence
    changed = redact_files([tmp_path / "missing", present, tmp_path / "also" / "missing"], footprint())
    assert changed == {str(present / "a.txt"): 1}
    assert (present / "a.txt").read_text(encoding="utf-8") == f"write to {REDACTED}.\n"
    assert not (tmp_path / "missing").exists()


def test_an_empty_footprint_changes_nothing(tmp_path):
    (tmp_path / "a.txt").write_text(f"to {EMAIL}\n", encoding="utf-8")
    assert redact_files([tmp_path], Footprint()) == {}
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == f"to {EMAIL}\n"
