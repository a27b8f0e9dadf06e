"""Blocking Great Expectations gates: a failed gate stops everything downstream in the same run.

Each check validates its frame with its committed suite (expectations/gx/expectations/<suite>.json) and returns the
result. The frames are dbt views, gates.gate_<asset> (dbt_project/models/gates/), built in the dbt step of the asset
they check, and GE validates them as SQL in the warehouse: no row is loaded into Python, whatever the size. The one
column that depends on a run-time setting (future_tolerance_hours, max_cluster_size) is added here as a literal of
the query (a number from the validated settings), so a gate is exactly as strict as the run's settings. The
activation gate's frame is one row that depends on the segment and the run's parameters: lib/segments builds it.
"""


import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.lib.core import markdown_table, transaction
from orchestration.lib.enrichment import coverage, coverage_drops
from orchestration.lib.segments import activation_gate_frame
from orchestration.resources.enrichment import EnrichmentResource
from orchestration.resources.expectations import GreatExpectationsResource, summarize
from orchestration.resources.settings import MicrosegResource

# The frame each suite validates: its dbt view, plus the column that depends on a setting of the run.
EVENTS_FRAME_SQL = """
select *,
       occurred_at <= received_date + interval 1 day + to_microseconds(cast({tolerance_us:d} as bigint))
           as within_received_tolerance
from gates.gate_stg_tracking__events
"""
CONTACTS_FRAME_SQL = "select * from gates.gate_stg_crm__contacts"
PROFILES_FRAME_SQL = """
select *, coalesce(coalesce(contact_count, 0) <= cast({max_cluster_size:d} as integer), false) as within_size_cap
from gates.gate_profiles_cleaned
"""
ENRICHED_FRAME_SQL = "select * from gates.gate_profiles_enriched"


def query_gate_result(gx: GreatExpectationsResource, suite: str, con, query: str, run_metadata: dict,
                      extra: dict | None = None) -> dg.AssetCheckResult:
    """Validate the rows of `query` (on the warehouse connection `con`, as SQL) with the committed suite `suite`."""
    rows = con.execute(f"select count(*) from ({query})").fetchone()[0]
    return _check_result(gx, suite, gx.validate_query(suite, con, query), rows, run_metadata, extra)


def gate_result(gx: GreatExpectationsResource, suite: str, df, run_metadata: dict,
                extra: dict | None = None) -> dg.AssetCheckResult:
    """Validate the frame `df` with the committed suite `suite`."""
    return _check_result(gx, suite, gx.validate(suite, df), len(df), run_metadata, extra)


def _check_result(gx: GreatExpectationsResource, suite: str, result, rows: int, run_metadata: dict,
                  extra: dict | None) -> dg.AssetCheckResult:
    """A blocking check result with GE statistics (+ `extra` metadata)."""
    summary = summarize(result)
    return dg.AssetCheckResult(
        passed=summary["success"],
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "suite": suite,
            **run_metadata,
            "rows_validated": rows,
            "statistics": dg.MetadataValue.json(summary["statistics"]),
            "failed_expectations": dg.MetadataValue.json(summary["failed"]),
            "data_docs": dg.MetadataValue.path(gx.data_docs_dir + "/index.html"),
            "data_docs_page": dg.MetadataValue.path(summary["data_docs_page"]),
            **(extra or {}),
        },
    )


@dg.asset_check(asset="stg_tracking__events", additional_deps=["gate_stg_tracking__events"], blocking=True,
                name="ge_stg_tracking__events_critical",
                description="GE suite stg_tracking__events__critical: keys, timestamps, identity, event names, "
                            "no event beyond its received day + tolerance. Blocking.")
def ge_stg_tracking__events_critical(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource,
                           gx: GreatExpectationsResource, microseg: MicrosegResource) -> dg.AssetCheckResult:
    query = EVENTS_FRAME_SQL.format(tolerance_us=int(microseg.future_tolerance_hours * 3_600_000_000))
    with duckdb.get_connection() as con:
        con.execute("set TimeZone = 'UTC'")
        return query_gate_result(gx, "stg_tracking__events__critical", con, query, microseg.run_metadata(context))


@dg.asset_check(asset="stg_crm__contacts", additional_deps=["gate_stg_crm__contacts"], blocking=True,
                name="ge_stg_crm__contacts_critical",
                description="GE suite stg_crm__contacts__critical: contact ids unique, consent parsed, "
                            "emails trimmed and lower-cased, not empty. Blocking.")
def ge_stg_crm__contacts_critical(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource,
                             gx: GreatExpectationsResource, microseg: MicrosegResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        return query_gate_result(gx, "stg_crm__contacts__critical", con, CONTACTS_FRAME_SQL,
                                 microseg.run_metadata(context))


@dg.asset_check(asset="profiles_cleaned", additional_deps=["gate_profiles_cleaned"], blocking=True,
                name="ge_profiles_cleaned_critical",
                description="GE suite profiles_cleaned__critical: one row per person, no cluster above "
                            "max_cluster_size, only valid emails, consent never more permissive than a "
                            "source record, erased persons without personal data. Blocking.")
def ge_profiles_cleaned_critical(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource,
                                 gx: GreatExpectationsResource, microseg: MicrosegResource) -> dg.AssetCheckResult:
    query = PROFILES_FRAME_SQL.format(max_cluster_size=int(microseg.max_cluster_size))
    with duckdb.get_connection() as con:
        return query_gate_result(gx, "profiles_cleaned__critical", con, query, microseg.run_metadata(context))


@dg.asset_check(asset="profiles_enriched", additional_deps=["gate_profiles_enriched"], blocking=True,
                name="ge_profiles_enriched_critical",
                description="GE suite profiles_enriched__critical: confidences in [0, 1], provenance in "
                            "declared/third_party/reference/inferred, every value with its provenance and "
                            "confidence, declared values never overridden, age in 0-120. Coverage per "
                            "attribute and provenance in the metadata. Blocking.")
def ge_profiles_enriched_critical(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource,
                                  gx: GreatExpectationsResource, microseg: MicrosegResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        covered = coverage(con)
        rows = [{"attribute": a, **c} for a, c in covered.items()]
        return query_gate_result(gx, "profiles_enriched__critical", con, ENRICHED_FRAME_SQL,
                                 microseg.run_metadata(context),
                                 extra={"coverage": dg.MetadataValue.md(markdown_table(rows)),
                                        "coverage_by_attribute": dg.MetadataValue.json(covered)})


COVERAGE_HISTORY_DDL = """
create table if not exists enrichment.coverage_history (as_of timestamp, attribute varchar, coverage double)
"""


@dg.asset_check(asset="profiles_enriched", blocking=False, name="profiles_enriched_coverage",
                description="Advisory: warns when an attribute's coverage fell by more than "
                            "enrichment_coverage_max_drop against the previous run (e.g. a provider "
                            "outage). Records each run's coverage in enrichment.coverage_history.")
def profiles_enriched_coverage(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource,
                               microseg: MicrosegResource, enrichment: EnrichmentResource) -> dg.AssetCheckResult:
    as_of = microseg.as_of_for(context).replace(tzinfo=None)
    with duckdb.get_connection() as con, transaction(con):   # this as_of's coverage replaced whole
        current = {a: c["coverage"] for a, c in coverage(con).items()}
        con.execute(COVERAGE_HISTORY_DDL)
        rows = con.execute("""
            select attribute, coverage from enrichment.coverage_history
            where as_of = (select max(as_of) from enrichment.coverage_history where as_of < ?)""",
                           [as_of]).fetchall()
        previous = dict(rows)
        con.execute("delete from enrichment.coverage_history where as_of = ?", [as_of])
        con.executemany("insert into enrichment.coverage_history values (?, ?, ?)",
                        [[as_of, a, c] for a, c in current.items()])
    drops = coverage_drops(previous, current, enrichment.coverage_max_drop)
    return dg.AssetCheckResult(
        passed=not drops, severity=dg.AssetCheckSeverity.WARN,
        metadata={**microseg.run_metadata(context), "max_drop": enrichment.coverage_max_drop,
                  "previous_run": bool(previous),
                  "drops": dg.MetadataValue.json(drops),
                  "coverage": dg.MetadataValue.json(current)})


def segment_gate(name: str, expect_nonempty: bool) -> dg.AssetChecksDefinition:
    """The blocking activation gate of one segment asset (built with the segment assets)."""

    @dg.asset_check(asset=dg.AssetKey(["segments", name]), name="ge_segment_activation", blocking=True,
                    description="GE suite segment__activation: size change since the previous run within "
                                "segment_max_change, non-empty when expect_nonempty, no suppressed person "
                                "counted reachable. Blocking: activation never sees a broken list.")
    def _gate(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource, gx: GreatExpectationsResource,
              microseg: MicrosegResource) -> dg.AssetCheckResult:
        as_of = microseg.as_of_for(context)
        with duckdb.get_connection() as con:
            df = activation_gate_frame(con, name, as_of.replace(tzinfo=None),
                                       max_change=microseg.segment_max_change,
                                       min_members=microseg.segment_change_min_members,
                                       expect_nonempty=expect_nonempty)
        return gate_result(gx, "segment__activation", df, microseg.run_metadata(context))

    return _gate
