"""drop_leftovers: the relations a killed dbt leaves (`__dbt_tmp`, `__dbt_backup`, tables and views) are
dropped, nothing else is; and a dbt killed in the middle of its swap leaves what lib/warehouse/leftovers.py says."""

import signal
import textwrap

import duckdb

from orchestration.lib.warehouse.leftovers import drop_leftovers
from tests.atomicity.killed import run_python


def relations(con) -> list[str]:
    return [f"{s}.{n}" for s, n in con.execute(
        "select table_schema, table_name from information_schema.tables order by all").fetchall()]


def test_dbt_temporary_and_backup_tables_and_views_are_dropped_and_nothing_else(tmp_path):
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    con.execute("create schema marts; create schema staging")
    con.execute("create table marts.profiles as select 1 as a")
    con.execute("create table marts.profiles__dbt_tmp as select 2 as a")
    con.execute("create table marts.profiles__dbt_backup as select 0 as a")
    con.execute("create view staging.stg_events as select 1 as a")
    con.execute("create view staging.stg_events__dbt_tmp as select 2 as a")
    con.execute("create view staging.stg_events__dbt_backup as select 0 as a")
    con.execute("create table marts.my__dbt_tmp_notes as select 1 as a")        # the suffix is not at the end
    con.execute("create temp table scratch__dbt_tmp as select 1 as a")          # the connection's own

    dropped = drop_leftovers(con)

    assert dropped == ["marts.profiles__dbt_backup", "marts.profiles__dbt_tmp", "staging.stg_events__dbt_backup",
                       "staging.stg_events__dbt_tmp"]
    assert relations(con) == ["main.scratch__dbt_tmp", "marts.my__dbt_tmp_notes", "marts.profiles",
                              "staging.stg_events"]
    assert drop_leftovers(con) == []
    con.close()


# the statements dbt-duckdb 1.11's table materialization sends (seen in `dbt --debug run`), then a kill
DBT_SWAP = """
import os, signal, sys
import duckdb
con = duckdb.connect(sys.argv[1])
con.execute("begin")
con.execute('create table "main"."t__dbt_tmp" as (select 2 as a)')
con.execute('alter table "main"."t" rename to "t__dbt_backup"')
con.execute('alter table "main"."t__dbt_tmp" rename to "t"')
if sys.argv[2] == "before_commit":
    os.kill(os.getpid(), signal.SIGKILL)
con.execute("commit")
os.kill(os.getpid(), signal.SIGKILL)        # before `drop table if exists "main"."t__dbt_backup" cascade`
"""


def test_a_dbt_swap_killed_before_its_commit_leaves_the_old_model_only(tmp_path):
    path = tmp_path / "wh.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select 1 as a")
    died = run_python(["-c", textwrap.dedent(DBT_SWAP), str(path), "before_commit"])
    assert died.returncode == -signal.SIGKILL, died.stderr
    with duckdb.connect(str(path)) as con:
        assert relations(con) == ["main.t"] and con.execute("select a from t").fetchall() == [(1,)]
        assert drop_leftovers(con) == []


def test_a_dbt_swap_killed_after_its_commit_leaves_the_backup_which_is_dropped(tmp_path):
    path = tmp_path / "wh.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select 1 as a")
    died = run_python(["-c", textwrap.dedent(DBT_SWAP), str(path), "after_commit"])
    assert died.returncode == -signal.SIGKILL, died.stderr
    with duckdb.connect(str(path)) as con:
        assert relations(con) == ["main.t", "main.t__dbt_backup"]
        assert con.execute("select a from t").fetchall() == [(2,)]
        assert drop_leftovers(con) == ["main.t__dbt_backup"]
        assert relations(con) == ["main.t"]
