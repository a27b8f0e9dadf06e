"""The gates run their GE suites as SQL in the DuckDB warehouse (GE's SQL datasource through duckdb-engine), with
the same verdicts as the same suites on the same rows as a pandas frame, and leave no connection behind."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.checks.gates import CONTACTS_FRAME_SQL, EVENTS_FRAME_SQL
from orchestration.constants import SUITES_DIR
from orchestration.resources.expectations import GreatExpectationsResource, summarize

# the contacts gate's view as dbt builds it (dbt_project/models/gates/gate_stg_crm__contacts.sql), on raw rows
CONTACTS_VIEW = r"""
create schema gates;
create table contacts (contact_id varchar, email varchar, email_opt_in boolean, created_at timestamp);
create view gates.gate_stg_crm__contacts as
select contact_id, email,
       not regexp_matches(email, '^\s|\s$') as email_is_trimmed,
       not regexp_matches(email, '[A-Z]') as email_is_lower_case,
       email_opt_in, created_at
from contacts
"""


@pytest.fixture
def gx(tmp_path):
    return GreatExpectationsResource(suites_dir=str(SUITES_DIR), data_docs_dir=str(tmp_path / "data_docs"))


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(CONTACTS_VIEW)
    yield con, path
    con.close()


def verdicts(result) -> dict:
    return {(r.expectation_config.type, r.expectation_config.kwargs.get("column")):
            (r.success, (r.result or {}).get("unexpected_count"), (r.result or {}).get("observed_value"))
            for r in result.results}


def test_a_good_contacts_table_passes_as_sql(gx, warehouse):
    con, _ = warehouse
    con.execute("insert into contacts values ('c1', 'a@x.io', true, null), ('c2', null, null, null)")
    summary = summarize(gx.validate_query("stg_crm__contacts__critical", con, CONTACTS_FRAME_SQL))
    assert summary["success"], summary["failed"]
    assert summary["statistics"]["evaluated_expectations"] == 6


@pytest.mark.parametrize("rows, failing", [
    ("('c1', 'A@x.io', true, null), ('c2', 'b@x.io', false, null)", {"email_is_lower_case"}),
    ("('c1', 'a@x.io ', true, null), ('c2', e'\\tb@x.io', false, null)", {"email_is_trimmed"}),
    ("('c1', 'a@x.io', true, null), ('c1', 'b@x.io', false, null)", {"contact_id"}),
    ("('c1', 'a@x.io', true, null), (null, 'b@x.io', false, null)", {"contact_id"}),
])
def test_each_broken_rule_fails_the_sql_gate_exactly_as_the_same_rows_in_pandas(gx, warehouse, rows, failing):
    con, _ = warehouse
    con.execute(f"insert into contacts values {rows}")
    in_sql = gx.validate_query("stg_crm__contacts__critical", con, CONTACTS_FRAME_SQL)
    in_pandas = gx.validate("stg_crm__contacts__critical", con.execute(CONTACTS_FRAME_SQL).df())
    assert not in_sql.success
    assert {f["column"] for f in summarize(in_sql)["failed"]} == failing
    assert verdicts(in_sql) == verdicts(in_pandas)


def test_an_empty_table_fails_the_row_count_rule(gx, warehouse):
    con, _ = warehouse
    summary = summarize(gx.validate_query("stg_crm__contacts__critical", con, CONTACTS_FRAME_SQL))
    assert [f["expectation"] for f in summary["failed"]] == ["expect_table_row_count_to_be_between"]
    assert summary["failed"][0]["observed_value"] == 0


def test_the_events_gate_query_with_its_tolerance_literal_runs_as_sql(gx, warehouse):
    con, _ = warehouse
    con.execute("""
        create table gates.gate_stg_tracking__events as
        select 'm' || i as message_id, 'track' as event_type, date '2026-11-01' as received_date,
               timestamp '2026-11-01 10:00:00' + to_hours(cast(i as bigint) * 12) as occurred_at,
               'u' || i as identity_id, true as track_has_event_name
        from range(4) t(i)""")
    # occurred 10:00, 22:00, 10:00 +1 day, 22:00 +1 day: with 24 h of tolerance after the end of the received
    # day (2026-11-03 00:00) all four are within; with none, the last two are not
    results = {}
    for hours in (24, 0):
        query = EVENTS_FRAME_SQL.format(tolerance_us=hours * 3_600_000_000)
        result = gx.validate_query("stg_tracking__events__critical", con, query)
        results[hours] = {r.expectation_config.kwargs.get("column"): (r.result or {}).get("unexpected_count")
                          for r in result.results if not r.success}
    assert results == {24: {}, 0: {"within_received_tolerance": 2}}


def test_no_connection_is_left_open_on_the_warehouse(gx, warehouse):
    con, path = warehouse
    con.execute("insert into contacts values ('c1', 'a@x.io', true, null)")
    gx.validate_query("stg_crm__contacts__critical", con, CONTACTS_FRAME_SQL)
    con.close()
    # a connection with another configuration opens only when no other connection holds the database
    with duckdb.connect(str(path), read_only=True) as reader:
        assert reader.execute("select count(*) from contacts").fetchone()[0] == 1
