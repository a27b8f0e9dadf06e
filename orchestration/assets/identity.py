"""Identity assets: normalized contacts -> scored candidate pairs -> clusters and the identity map.

Thin glue: read a table, call lib/ (normalize, matching, identity), write tables, report metadata. Each
asset's tables are written in one transaction: killed at any point, it leaves them as they were or as new.
"""


import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.constants import DUCKDB_POOL, GROUP_IDENTITY, OWNERS
from orchestration.lib.core import markdown_table, transaction, write_table
from orchestration.lib.identity import (
    contacts_config,
    matching_frame,
    normalize_contacts,
    register_scored,
    rejections_by_reason,
    resolve_identities,
    score_pairs,
)
from orchestration.resources.settings import MicrosegResource


def _config(microseg: MicrosegResource):
    return contacts_config(microseg.auto_merge_threshold, microseg.review_threshold, microseg.max_cluster_size)


@dg.asset(key=["identity", "contacts_normalized"], group_name=GROUP_IDENTITY, deps=["stg_crm__contacts"],
          kinds={"python", "duckdb"}, pool=DUCKDB_POOL, owners=OWNERS)
def contacts_normalized(context: dg.AssetExecutionContext, microseg: MicrosegResource,
                        duckdb: DuckDBResource) -> dg.MaterializeResult:
    """One row per CRM contact record: email validated, phone in E.164, names cleaned and folded,
    gender, country, birth date normalized. Every rejected value is in identity.validation_report
    with its reason; no row disappears."""
    as_of = microseg.as_of_for(context)
    with duckdb.get_connection() as con:
        staged = con.execute("select * from staging.stg_crm__contacts order by contact_id").df()
        context.log.info(f"normalizing {len(staged):,} contact records")
        normalized, rejections = normalize_contacts(staged, as_of.date())
        with transaction(con):
            write_table(con, "identity.contacts_normalized", normalized)
            write_table(con, "identity.validation_report", rejections)
    context.log.info(f"{len(normalized):,} contacts normalized; {len(rejections):,} values rejected")
    return dg.MaterializeResult(metadata={
        **microseg.run_metadata(context),
        "dagster/row_count": len(normalized),
        "rejected_values": len(rejections),
        "rejections": dg.MetadataValue.md(markdown_table(rejections_by_reason(rejections).to_dict("records"))),
        "email_status": dg.MetadataValue.json(normalized["email_status"].value_counts().to_dict()),
        "phone_status": dg.MetadataValue.json(normalized["phone_status"].value_counts().to_dict()),
    })


@dg.asset(key=["identity", "match_pairs"], group_name=GROUP_IDENTITY, deps=[contacts_normalized],
          kinds={"python", "duckdb"}, pool=DUCKDB_POOL, owners=OWNERS)
def match_pairs(context: dg.AssetExecutionContext, microseg: MicrosegResource,
                duckdb: DuckDBResource) -> dg.MaterializeResult:
    """One row per candidate pair of contact records (from blocking keys, never all pairs), with
    its match probability (Fellegi-Sunter, estimated on this data by EM) and the evidence: the
    agreement level and similarity of every compared field."""
    config = _config(microseg)
    with duckdb.get_connection() as con:
        normalized = con.execute("select * from identity.contacts_normalized").df()
        scored = score_pairs(matching_frame(normalized), config, progress=context.log.info)
        register_scored(con, scored, name="scored_pairs")
        con.execute("create or replace table identity.match_pairs as select * from scored_pairs "   # one statement
                    "order by left_id, right_id")
    model = scored.model.to_dict(config)
    return dg.MaterializeResult(metadata={
        **microseg.run_metadata(context),
        "dagster/row_count": len(scored.i),
        "records": len(scored.ids),
        "candidate_pairs": scored.blocking.candidate_pairs,
        "blocking_rules": dg.MetadataValue.md(markdown_table(scored.blocking.rules)),
        "blocked_values": dg.MetadataValue.json(scored.blocked_values),
        "prior_two_random_records_match": model["lambda"],
        "match_weights_bits": dg.MetadataValue.md(markdown_table(scored.model.weights_table(config))),
        "model": dg.MetadataValue.json(model),
        "pairs_by_probability": dg.MetadataValue.json({
            f">={t}": int((scored.probability >= t).sum()) for t in (0.5, config.review, config.auto_merge)}),
    })


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["identity", "identity_map"], group_name=GROUP_IDENTITY, kinds={"python", "duckdb"},
                     owners=OWNERS, deps=[match_pairs, contacts_normalized, "stg_tracking__events"],
                     description="One row per identifier (contact_id, userId, anonymousId) and the person_id "
                                 "it resolves to, with how it was linked."),
        dg.AssetSpec(["identity", "clusters"], group_name=GROUP_IDENTITY, kinds={"python", "duckdb"},
                     owners=OWNERS, deps=[match_pairs],
                     description="One row per person: how many contact records were merged, the weakest link."),
    ],
    pool=DUCKDB_POOL,
)
def identity_map(context: dg.AssetExecutionContext, microseg: MicrosegResource, duckdb: DuckDBResource):
    """Clusters from accepted links (union-find, size cap, reviewer decisions), the identity map with
    stable person ids, the append-only merge ledger and the review queue (table + review/queue.csv)."""
    config = _config(microseg)
    as_of = microseg.as_of_text(context)
    review_dir = microseg.review_path
    with duckdb.get_connection() as con:   # the tables in one transaction, then queue.csv
        resolved = resolve_identities(con, config, review_dir, context.run_id, as_of, progress=context.log.info)
    context.log.info(f"{resolved.contact_records:,} contact records -> {len(resolved.person_clusters):,} CRM "
                     f"persons; {resolved.persons:,} persons in all; review queue {resolved.review_queue:,}; "
                     f"ledger +{resolved.ledger_entries_appended:,}")
    yield dg.MaterializeResult(asset_key=["identity", "identity_map"], metadata={
        **microseg.run_metadata(context),
        "dagster/row_count": len(resolved.identity_map),
        "persons": resolved.persons,
        "identifiers": dg.MetadataValue.json(resolved.identifiers_by_type),
        "pair_decisions": dg.MetadataValue.json(resolved.pair_decisions),
        "review_queue": resolved.review_queue,
        "review_queue_csv": dg.MetadataValue.path(str(review_dir / "queue.csv")),
        "decisions_applied": resolved.decisions_applied,
        "ledger_entries_appended": resolved.ledger_entries_appended,
    })
    yield dg.MaterializeResult(asset_key=["identity", "clusters"], metadata={
        **microseg.run_metadata(context),
        "dagster/row_count": len(resolved.person_clusters),
        "largest_cluster": resolved.largest_cluster,
        "max_cluster_size": config.max_cluster_size,
        "cluster_sizes": dg.MetadataValue.md(markdown_table(resolved.cluster_sizes)),
        "links_refused": len(resolved.clusters.refused),
    })
