"""Blocking Great Expectations gates: a failed gate stops everything downstream in the same run."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.resources.expectations import GreatExpectationsResource, summarize
from orchestration.resources.settings import MicrosegResource

# The frame each suite validates. Derived columns turn row rules into column expectations.
EVENTS_GATE_SQL = """
select
    message_id, event_type, occurred_at, received_date,
    coalesce(user_id, anonymous_id) as identity_id,
    (event_type is distinct from 'track' or event_name is not null) as track_has_event_name,
    occurred_at <= received_date + interval 1 day + to_microseconds(cast($tolerance_us as bigint))
        as within_received_tolerance
from staging.stg_events
"""

CONTACTS_GATE_SQL = "select contact_id, email, email_opt_in, created_at from staging.stg_contacts"


def _gate(gx: GreatExpectationsResource, suite: str, df, as_of: str) -> dg.AssetCheckResult:
    summary = summarize(gx.validate(suite, df))
    return dg.AssetCheckResult(
        passed=summary["success"],
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "suite": suite,
            "as_of": as_of,
            "rows_validated": len(df),
            "statistics": dg.MetadataValue.json(summary["statistics"]),
            "failed_expectations": dg.MetadataValue.json(summary["failed"]),
            "data_docs": dg.MetadataValue.path(gx.data_docs_dir + "/index.html"),
        },
    )


@dg.asset_check(asset="stg_events", blocking=True, name="ge_stg_events_critical",
                description="GE suite stg_events__critical: keys, timestamps, identity, event names, "
                            "no event beyond its received day + tolerance. Blocking.")
def ge_stg_events_critical(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource,
                           gx: GreatExpectationsResource, microseg: MicrosegResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        con.execute("set TimeZone = 'UTC'")
        df = con.execute(EVENTS_GATE_SQL,
                         {"tolerance_us": int(microseg.future_tolerance_hours * 3_600_000_000)}).df()
    return _gate(gx, "stg_events__critical", df, microseg.as_of_text(context))


@dg.asset_check(asset="stg_contacts", blocking=True, name="ge_stg_contacts_critical",
                description="GE suite stg_contacts__critical: contact ids unique, consent parsed, "
                            "emails trimmed and lower-cased, not empty. Blocking.")
def ge_stg_contacts_critical(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource,
                             gx: GreatExpectationsResource, microseg: MicrosegResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        df = con.execute(CONTACTS_GATE_SQL).df()
    return _gate(gx, "stg_contacts__critical", df, microseg.as_of_text(context))
