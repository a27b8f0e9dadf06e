"""Blocking Great Expectations gates: a failed gate stops everything downstream in the same run."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.lib.core import markdown_table
from orchestration.lib.enrichment import (
    ATTRIBUTES,
    DECLARED,
    PROVENANCES,
    coverage,
    coverage_drops,
)
from orchestration.resources.enrichment import EnrichmentResource
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
from staging.stg_tracking__events
"""

CONTACTS_GATE_SQL = "select contact_id, email, email_opt_in, created_at from staging.stg_crm__contacts"

# One row per profile. Consent rank: false 0 < NULL (unknown) 1 < true 2; a profile may not outrank the
# strictest of its source records (a person without a CRM record may not be true). Emails are checked against
# the identity step's own verdict on the person's records, and a basic shape; the address itself stays out
# of the frame (and so out of Data Docs and check metadata). Every derived column is true or false, never NULL.
PROFILES_GATE_SQL = r"""
with records as (
    select identity_map.person_id, contacts.email, contacts.email_status, contacts.email_opt_in
    from identity.contacts_normalized as contacts
    inner join identity.identity_map as identity_map
        on identity_map.id_type = 'contact_id' and identity_map.id_value = contacts.contact_id
),
record_consent as (
    select person_id,
           min(case when email_opt_in then 2 when email_opt_in is null then 1 else 0 end) as min_consent_rank
    from records
    group by person_id
),
valid_emails as (
    select distinct person_id, email from records where email_status = 'valid'
)
select
    profiles.person_id,
    profiles.contact_count,
    profiles.email_opt_in,
    profiles.is_erased,
    coalesce(coalesce(profiles.contact_count, 0) <= cast($max_cluster_size as integer), false) as within_size_cap,
    coalesce(profiles.email is null
             or (valid_emails.email is not null
                 and regexp_full_match(profiles.email, '[^@\s]+@[^@\s]+\.[^@\s.]+')), false) as email_is_valid,
    coalesce(case when profiles.email_opt_in then 2 when profiles.email_opt_in is null then 1 else 0 end
             <= coalesce(record_consent.min_consent_rank, 1), false) as consent_not_more_permissive,
    coalesce(not profiles.is_erased
             or coalesce(profiles.email, profiles.phone_e164, profiles.first_name, profiles.last_name,
                         profiles.gender, cast(profiles.birth_date as varchar), profiles.city,
                         profiles.postal_code, profiles.country) is null,
             false) as erased_has_no_personal_data
from marts.profiles_cleaned as profiles
left join record_consent on record_consent.person_id = profiles.person_id
left join valid_emails on valid_emails.person_id = profiles.person_id and valid_emails.email = profiles.email
"""


def gate_result(gx: GreatExpectationsResource, suite: str, df, as_of: str,
                extra: dict | None = None) -> dg.AssetCheckResult:
    """Validate `df` with the committed suite `suite`: a blocking check result with GE statistics
    (+ `extra` metadata)."""
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
            **(extra or {}),
        },
    )


@dg.asset_check(asset="stg_tracking__events", blocking=True, name="ge_stg_tracking__events_critical",
                description="GE suite stg_tracking__events__critical: keys, timestamps, identity, event names, "
                            "no event beyond its received day + tolerance. Blocking.")
def ge_stg_tracking__events_critical(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource,
                           gx: GreatExpectationsResource, microseg: MicrosegResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        con.execute("set TimeZone = 'UTC'")
        df = con.execute(EVENTS_GATE_SQL,
                         {"tolerance_us": int(microseg.future_tolerance_hours * 3_600_000_000)}).df()
    return gate_result(gx, "stg_tracking__events__critical", df, microseg.as_of_text(context))


@dg.asset_check(asset="stg_crm__contacts", blocking=True, name="ge_stg_crm__contacts_critical",
                description="GE suite stg_crm__contacts__critical: contact ids unique, consent parsed, "
                            "emails trimmed and lower-cased, not empty. Blocking.")
def ge_stg_crm__contacts_critical(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource,
                             gx: GreatExpectationsResource, microseg: MicrosegResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        df = con.execute(CONTACTS_GATE_SQL).df()
    return gate_result(gx, "stg_crm__contacts__critical", df, microseg.as_of_text(context))


@dg.asset_check(asset="profiles_cleaned", blocking=True, name="ge_profiles_cleaned_critical",
                description="GE suite profiles_cleaned__critical: one row per person, no cluster above "
                            "max_cluster_size, only valid emails, consent never more permissive than a "
                            "source record, erased persons without personal data. Blocking.")
def ge_profiles_cleaned_critical(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource,
                                 gx: GreatExpectationsResource, microseg: MicrosegResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        df = con.execute(PROFILES_GATE_SQL, {"max_cluster_size": int(microseg.max_cluster_size)}).df()
    return gate_result(gx, "profiles_cleaned__critical", df, microseg.as_of_text(context))


def enriched_gate_sql() -> str:
    """One row per person of profiles_enriched; every derived column true or false, never NULL:
    confidences in [0, 1], provenances allowed, a value exactly when it has a provenance and a confidence,
    a declared value always chosen over a derived one, age in 0-120 and age band consistent with it."""
    attrs = ATTRIBUTES
    allowed = ", ".join(f"'{p}'" for p in PROVENANCES)
    conf = " and ".join(f"coalesce(e.{a}__confidence between 0 and 1, e.{a}__confidence is null)" for a in attrs)
    prov = " and ".join(f"coalesce(e.{a}__provenance in ({allowed}), e.{a}__provenance is null)" for a in attrs)
    whole = " and ".join(f"((e.{a} is null) = (e.{a}__provenance is null) and (e.{a} is null) = "
                         f"(e.{a}__confidence is null))" for a in attrs)
    declared = " and ".join(f"(l.{a} is null or (e.{a}__provenance = 'declared' and "
                            f"cast(e.{a} as varchar) = cast(l.{a} as varchar)))"
                            for a in DECLARED)
    return f"""
select
    e.person_id,
    e.age,
    e.age_band,
    coalesce({conf}, false) as confidences_in_range,
    coalesce({prov}, false) as provenances_allowed,
    coalesce({whole}, false) as values_have_provenance,
    coalesce({declared}, false) as declared_value_wins,
    coalesce(e.age is null or e.age between 0 and 120, false) as age_in_range,
    coalesce(e.age is null or e.age < 13 or e.age_band__provenance = 'declared', false) as declared_age_has_band
from enrichment.profiles_enriched as e
left join enrichment.enrichment_labels as l on l.person_id = e.person_id and not l.is_erased
"""


@dg.asset_check(asset="profiles_enriched", blocking=True, name="ge_profiles_enriched_critical",
                description="GE suite profiles_enriched__critical: confidences in [0, 1], provenance in "
                            "declared/third_party/reference/inferred, every value with its provenance and "
                            "confidence, declared values never overridden, age in 0-120. Coverage per "
                            "attribute and provenance in the metadata. Blocking.")
def ge_profiles_enriched_critical(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource,
                                  gx: GreatExpectationsResource, microseg: MicrosegResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        df = con.execute(enriched_gate_sql()).df()
        covered = coverage(con)
    rows = [{"attribute": a, **c} for a, c in covered.items()]
    return gate_result(gx, "profiles_enriched__critical", df, microseg.as_of_text(context),
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
    with duckdb.get_connection() as con:
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
        metadata={"as_of": microseg.as_of_text(context), "max_drop": enrichment.coverage_max_drop,
                  "previous_run": bool(previous),
                  "drops": dg.MetadataValue.json(drops),
                  "coverage": dg.MetadataValue.json(current)})


SEGMENT_GATE_SQL = """
with runs as (
    select as_of, count(*) as members from segments.segment_membership where segment = $segment group by as_of
),
current as (select members from runs where as_of = $as_of),
previous as (select members from runs where as_of < $as_of order by as_of desc limit 1),
reach as (
    select count(*) filter (where p.is_reachable) as reachable,
           count(*) filter (where p.is_reachable and p.is_suppressed) as suppressed_reachable
    from segments.segment_membership m join segments.seg_profiles p using (person_id)
    where m.segment = $segment and m.as_of = $as_of
)
select
    $segment as segment,
    coalesce((select members from current), 0) as members,
    (select members from previous) as previous_members,
    coalesce((select members from previous) is null
             or greatest(coalesce((select members from current), 0), (select members from previous))
                < $min_members
             or abs(coalesce((select members from current), 0) - (select members from previous))
                <= $max_change * (select members from previous), false) as size_change_within_limit,
    coalesce(not $expect_nonempty or coalesce((select members from current), 0) > 0, false) as nonempty_if_expected,
    (select suppressed_reachable from reach) = 0 as no_suppressed_reachable
"""


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
            df = con.execute(SEGMENT_GATE_SQL, {"segment": name, "as_of": as_of.replace(tzinfo=None),
                                        "max_change": microseg.segment_max_change,
                                        "min_members": microseg.segment_change_min_members,
                                        "expect_nonempty": expect_nonempty}).df()
        return gate_result(gx, "segment__activation", df, microseg.as_of_text(context))

    return _gate
