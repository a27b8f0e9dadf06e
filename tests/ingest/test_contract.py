import gzip

import pytest

from orchestration.lib.ingest import contract
from orchestration.lib.ingest.contract import (
    TABLES,
    InputFileError,
    parse_csv,
    read_bytes,
    split_lines,
)
from tests.helpers.landing import CONTACT_HEADER, contact_row


def test_read_bytes_zero_byte_file_names_the_file(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    with pytest.raises(InputFileError) as err:
        read_bytes(path)
    assert err.value.reason == "empty_file"
    assert str(path) in str(err.value) and "0 bytes" in str(err.value)


def test_read_bytes_truncated_gzip_names_the_file(tmp_path):
    path = tmp_path / "day.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a": 1}\n' * 1000)[:60])
    with pytest.raises(InputFileError) as err:
        read_bytes(path)
    assert err.value.reason == "truncated_gzip"
    assert str(path) in str(err.value) and "truncated" in str(err.value)


def test_read_bytes_not_gzip_at_all(tmp_path):
    path = tmp_path / "day.jsonl.gz"
    path.write_bytes(b"plain text, not gzip\n")
    with pytest.raises(InputFileError) as err:
        read_bytes(path)
    assert err.value.reason == "bad_gzip"


def test_split_lines_crlf_and_final_newline():
    lines = split_lines(None, b"a\r\nb\r\n\r\nc")
    assert lines.texts == ["a", "b", "", "c"]
    assert lines.bad_encoding is None


def test_split_lines_salvages_valid_lines_around_bad_bytes(tmp_path):
    lines = split_lines(tmp_path / "f", "ok\n".encode() + b"M\xfcller\n" + "fine \u00fc\n".encode())
    assert lines.texts[0] == "ok" and lines.texts[2] == "fine \u00fc"
    assert lines.bad_encoding == [False, True, False]


def test_split_lines_wholly_latin1_file_is_rejected_with_offset(tmp_path):
    with pytest.raises(InputFileError) as err:
        split_lines(tmp_path / "f.csv", b"M\xfcller\n")
    assert err.value.reason == "bad_encoding" and "offset 1" in str(err.value)


def test_parse_csv_broken_quote_quarantines_one_line_and_keeps_the_rest(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("\n".join([CONTACT_HEADER, contact_row("c1"),
                               contact_row("c2").replace("Anna", '"Anna', 1), contact_row("c3"),
                               contact_row("c4")]) + "\n")
    records = parse_csv(path, TABLES["contacts"])
    assert [v[0] for v in records.values] == ["c1", "c3", "c4"]
    assert records.line_nos == [2, 4, 5]
    assert [(line, reason) for line, reason, _, _ in records.rejected] == [(3, "broken_quote")]


def test_parse_csv_quoted_newline_is_one_record(tmp_path):
    path = tmp_path / "contacts.csv"
    row = contact_row("c2").replace(",Berlin,", ',"Berlin\nMitte",')
    path.write_text("\n".join([CONTACT_HEADER, contact_row("c1"), row, contact_row("c3")]) + "\n")
    records = parse_csv(path, TABLES["contacts"])
    assert [v[0] for v in records.values] == ["c1", "c2", "c3"]
    assert records.line_nos == [2, 3, 5]
    assert records.values[1][7] == "Berlin\nMitte"


def test_parse_csv_wrong_field_count(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("\n".join([CONTACT_HEADER, "c1,a@b.c", contact_row("c2")]) + "\n")
    records = parse_csv(path, TABLES["contacts"])
    assert records.rejected[0][:2] == (2, "wrong_field_count")
    assert "2 fields, header has 14" in records.rejected[0][2]


def test_parse_csv_missing_column_names_file_column_and_rename_hint(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACT_HEADER.replace("email,", "e_mail,") + "\n")
    with pytest.raises(InputFileError) as err:
        parse_csv(path, TABLES["contacts"])
    message = str(err.value)
    assert str(path) in message and "'email'" in message and "e_mail" in message and "renamed" in message


def test_parse_csv_extra_column_is_kept_and_header_case_ignored(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACT_HEADER.upper() + ",loyalty_tier\n" + contact_row("c1") + ",gold\n")
    records = parse_csv(path, TABLES["contacts"])
    assert records.extra_columns == ["loyalty_tier"]
    assert records.values[0][0] == "c1" and records.values[0][-1] == "gold"


def test_table_files_orders_and_items_do_not_mix(tmp_path):
    (tmp_path / "orders").mkdir()
    for name in ("orders.csv", "orders_2026.parquet", "order_items.csv", "notes.txt"):
        (tmp_path / "orders" / name).write_text("x")
    assert [p.name for p in contract.table_files(tmp_path, TABLES["orders"])] == ["orders.csv", "orders_2026.parquet"]
    assert [p.name for p in contract.table_files(tmp_path, TABLES["order_items"])] == ["order_items.csv"]


def test_event_days_and_stray_entries(tmp_path):
    (tmp_path / "events" / "2026-10-01").mkdir(parents=True)
    (tmp_path / "events" / "2026-10-01" / "a.jsonl").write_text("{}\n")
    (tmp_path / "events" / "2026-10-01" / "b.json").write_text("{}\n")
    (tmp_path / "events" / "2026-02-30").mkdir()
    (tmp_path / "events" / "latest").mkdir()
    assert list(contract.event_days(tmp_path)) == ["2026-10-01"]
    stray = contract.stray_event_entries(tmp_path)
    assert any("2026-02-30" in s for s in stray) and any("latest" in s for s in stray)
    assert any("b.json" in s for s in stray)
