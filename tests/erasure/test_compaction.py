"""compact_database: a deleted row's bytes are still in the DuckDB file after a checkpoint (why compaction
exists); after compaction they are gone, and tables, views, constraints and rows are as they were."""

import duckdb
import pytest

from orchestration.lib.erasure import compact_database

SECRET = "zebra-quokka-7741.erase-me@example.com"


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema raw; create schema marts")
    con.execute("create table raw.contacts (contact_id varchar primary key, email varchar, n integer)")
    con.execute("insert into raw.contacts select 'C' || i, 'person' || i || '@example.org', i from range(3000) t(i)")
    con.execute("insert into raw.contacts values ('C-SECRET', ?, -1)", [SECRET])
    con.execute("create table raw.notes (id integer, note varchar)")
    con.execute("insert into raw.notes values (1, 'kept'), (2, 'also kept')")
    con.execute("create view marts.contact_emails as select contact_id, email from raw.contacts where n >= 0")
    con.execute("checkpoint")                     # the secret is written to the file's blocks
    con.execute("delete from raw.contacts where contact_id = 'C-SECRET'")
    con.execute("checkpoint")
    con.close()
    return path


def test_deleted_bytes_stay_in_the_file_until_compaction(warehouse):
    assert SECRET.encode() in warehouse.read_bytes()        # the premise: a delete only marks the row

    size_before = warehouse.stat().st_size
    before, after = compact_database(warehouse)

    assert before == size_before and after == warehouse.stat().st_size
    assert SECRET.encode() not in warehouse.read_bytes()
    assert b"C-SECRET" not in warehouse.read_bytes()


def test_compaction_keeps_tables_views_constraints_and_rows(warehouse):
    compact_database(warehouse)
    con = duckdb.connect(str(warehouse))
    try:
        assert con.execute("select count(*), sum(n) from raw.contacts").fetchall() == [(3000, sum(range(3000)))]
        assert con.execute("select * from raw.notes order by id").fetchall() == [(1, "kept"), (2, "also kept")]
        assert con.execute("select count(*) from marts.contact_emails").fetchall() == [(3000,)]
        assert con.execute("select table_type from information_schema.tables where table_schema = 'marts' "
                           "and table_name = 'contact_emails'").fetchall() == [("VIEW",)]
        # the view still reads the live table (not a copy of its rows)
        con.execute("insert into raw.contacts values ('C-NEW', 'new@example.org', 5)")
        assert con.execute("select count(*) from marts.contact_emails").fetchall() == [(3001,)]
        with pytest.raises(duckdb.ConstraintException):
            con.execute("insert into raw.contacts values ('C1', 'dup@example.org', 1)")
    finally:
        con.close()


def test_no_compacting_file_is_left(warehouse):
    compact_database(warehouse)
    assert sorted(p.name for p in warehouse.parent.iterdir()) == ["wh.duckdb"]


def test_a_stale_compacting_file_is_replaced(warehouse):
    stale = warehouse.with_name("wh.duckdb.compacting")
    stale.write_bytes(b"left over by a crash")
    compact_database(warehouse)
    assert not stale.exists()
    con = duckdb.connect(str(warehouse))
    assert con.execute("select count(*) from raw.contacts").fetchall() == [(3000,)]
    con.close()


def test_a_failed_compaction_leaves_the_original_in_place(tmp_path):
    path = tmp_path / "wh.duckdb"
    path.write_bytes(b"not a duckdb file at all" * 100)
    with pytest.raises(duckdb.Error):
        compact_database(path)
    assert path.read_bytes() == b"not a duckdb file at all" * 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wh.duckdb"]


def test_an_applied_erasure_owes_a_compaction_until_one_has_finished(tmp_path):
    from datetime import datetime

    from orchestration.lib.erasure import ErasureRequest, add_requests, apply_erasures, compaction_due
    from tests.erasure.builders import ANNA_EMAIL, build_warehouse

    path = tmp_path / "wh.duckdb"
    with duckdb.connect(str(path)) as con:
        build_warehouse(con)
        add_requests(con, [ErasureRequest.from_address("nobody@example.com", None, "test")], datetime(2026, 10, 2))
        apply_erasures(con, datetime(2026, 10, 2), "run-1", [])
        assert not compaction_due(con)                  # nothing was deleted: nothing to rewrite
        add_requests(con, [ErasureRequest.from_address(ANNA_EMAIL, None, "test")], datetime(2026, 10, 2))
        apply_erasures(con, datetime(2026, 10, 2), "run-2", [])
        # a run killed now (after the purge's commit, before the compaction) leaves the compaction owed
        assert compaction_due(con)
    compact_database(path)
    with duckdb.connect(str(path)) as con:
        assert not compaction_due(con)


def test_the_log_of_a_killed_compaction_is_not_replayed_into_the_next(warehouse):
    stale = warehouse.with_name("wh.duckdb.compacting")
    stale.write_bytes(b"left over by a kill")
    stale.with_name(stale.name + ".wal").write_bytes(b"its write-ahead log")
    compact_database(warehouse)
    assert sorted(p.name for p in warehouse.parent.iterdir()) == ["wh.duckdb"]
    with duckdb.connect(str(warehouse)) as con:
        assert con.execute("select count(*) from raw.contacts").fetchall() == [(3000,)]
