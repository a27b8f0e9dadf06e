"""transaction(): BEGIN, COMMIT at the end, ROLLBACK on any exception, a pass-through inside another; and the
statements the steps run inside one, as DuckDB (the installed version) takes them."""

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from orchestration.lib.core import in_transaction, transaction, write_table


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "wh.duckdb"))
    c.execute("create table t (a integer)")
    yield c
    c.close()


def rows(con, table="t"):
    return con.execute(f"select * from {table} order by all").fetchall()


def test_the_block_is_committed_when_it_ends(con):
    assert not in_transaction(con)
    with transaction(con):
        assert in_transaction(con)
        con.execute("insert into t values (1), (2)")
    assert not in_transaction(con)
    assert rows(con) == [(1,), (2,)]


@pytest.mark.parametrize("error", [ValueError, KeyboardInterrupt])
def test_an_exception_rolls_the_block_back_and_goes_on(con, error):
    with pytest.raises(error):
        with transaction(con):
            con.execute("insert into t values (1)")
            raise error()
    assert rows(con) == [] and not in_transaction(con)


def test_a_failed_statement_rolls_the_block_back(con):
    with pytest.raises(duckdb.BinderException):
        with transaction(con):
            con.execute("insert into t values (1)")
            con.execute("select no_such_column from t")
    assert rows(con) == []
    con.execute("insert into t values (3)")           # the connection is usable again
    assert rows(con) == [(3,)]


def test_nested_blocks_are_one_transaction_the_outer_decides(con):
    with pytest.raises(RuntimeError):
        with transaction(con):
            with transaction(con):
                con.execute("insert into t values (1)")
            assert in_transaction(con)                 # the inner block did not commit
            with transaction(con):
                write_table(con, "s.frame", pd.DataFrame({"a": [1]}))
            raise RuntimeError("the outer block fails")
    assert rows(con) == []
    assert con.execute("select count(*) from duckdb_schemas() where schema_name = 's'").fetchall() == [(0,)]


def test_a_transaction_begun_by_someone_else_is_passed_through(con):
    con.execute("begin transaction")
    with transaction(con):
        con.execute("insert into t values (1)")
    assert in_transaction(con)
    con.execute("rollback")
    assert rows(con) == []


def test_every_kind_of_statement_the_steps_run_is_taken_and_rolled_back(con, tmp_path):
    con.execute("create schema raw")
    con.execute("create table raw.old (email varchar, n integer)")
    con.execute("insert into raw.old values ('a@example.com', 1)")
    before = rows(con, "raw.old")
    with pytest.raises(RuntimeError):
        with transaction(con):
            con.execute("set TimeZone = 'UTC'")
            con.execute("create schema if not exists identity; create schema fresh")
            con.execute("create table if not exists fresh.t (a integer)")
            con.register("frame", pd.DataFrame({"a": [1, 2]}))
            con.execute("create or replace table fresh.t as select * from frame")
            con.unregister("frame")
            con.register("arrow", pa.table({"a": [3]}))
            con.execute("insert into fresh.t select * from arrow")
            con.unregister("arrow")
            con.execute("create or replace temp table scratch as select * from fresh.t")
            con.execute("create or replace temp view scratch_view as select * from scratch")
            # the migration prepare runs: add a column, fill it, drop the old one
            con.execute("alter table raw.old add column email_sha256 varchar")
            con.execute("update raw.old set email_sha256 = sha256(email)")
            con.execute("alter table raw.old drop column email")
            con.execute("create table fresh.k (k varchar primary key, v integer)")
            con.execute("insert or replace into fresh.k values ('x', 1)")
            con.execute("insert or replace into fresh.k values ('x', 2)")
            con.execute("alter table fresh.t rename to t2")
            con.execute("create or replace view fresh.v as select * from fresh.t2")
            con.execute("delete from t")
            con.execute("drop table fresh.k")
            con.execute(f"copy fresh.t2 to '{tmp_path / 'out.csv'}' (header)")
            assert rows(con, "fresh.t2") == [(1,), (2,), (3,)]
            raise RuntimeError("roll it all back")
    assert con.execute("select count(*) from duckdb_schemas() where schema_name in ('fresh', 'identity')"
                       ).fetchall() == [(0,)]
    assert rows(con, "raw.old") == before
    assert [c[0] for c in con.execute("describe raw.old").fetchall()] == ["email", "n"]


def test_checkpoint_is_refused_inside_a_transaction_with_changes(con):
    with pytest.raises(duckdb.TransactionException, match="CHECKPOINT"):
        with transaction(con):
            con.execute("insert into t values (1)")
            con.execute("checkpoint")
    assert rows(con) == []


def test_an_error_on_a_cursor_does_not_abort_the_transaction(con, tmp_path):
    # why the table load reads Parquet files on a cursor: a broken file must not end the load's transaction
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with transaction(con):
        con.execute("insert into t values (1)")
        with con.cursor() as reader, pytest.raises(duckdb.Error):
            reader.execute("select * from parquet_schema(?)", [str(broken)])
        con.execute("insert into t values (2)")
    assert rows(con) == [(1,), (2,)]
