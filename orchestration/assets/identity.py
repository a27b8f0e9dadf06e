"""Identity assets: normalized contacts -> scored candidate pairs -> clusters and the identity map.

Thin glue: read a table, call lib/ (normalize, matching, identity), write tables, report metadata.
"""


import dagster as dg
import duckdb
import numpy as np
import pandas as pd
from dagster_duckdb import DuckDBResource

from orchestration.constants import DUCKDB_POOL, GROUP_IDENTITY
from orchestration.lib.core import markdown_table
from orchestration.lib.identity import (
    DECISION_NAMES,
    SEPARATE,
    append_ledger,
    build_identity_map,
    collect_decisions,
    contact_links,
    contacts_config,
    matching_frame,
    normalize_contacts,
    register_ids,
    register_scored,
    resolve,
    score_pairs,
    write_queue,
)
from orchestration.resources.settings import MicrosegResource

OWNERS = ["team:data-platform"]


def _write(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> None:
    con.execute("create schema if not exists identity")
    con.register("frame_to_write", df)
    con.execute(f"create or replace table {table} as select * from frame_to_write")
    con.unregister("frame_to_write")


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = ? and "
                            "table_name = ?", [schema, table]).fetchall()[0][0])


def _config(microseg: MicrosegResource):
    return contacts_config(microseg.auto_merge_threshold, microseg.review_threshold,
                                    microseg.max_cluster_size)


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
        _write(con, "identity.contacts_normalized", normalized)
        _write(con, "identity.validation_report", rejections)
    reasons = rejections.groupby(["field", "reason"]).size().reset_index(name="values") if len(rejections) else \
        pd.DataFrame(columns=["field", "reason", "values"])
    context.log.info(f"{len(normalized):,} contacts normalized; {len(rejections):,} values rejected")
    return dg.MaterializeResult(metadata={
        "as_of": microseg.as_of_text(context),
        "dagster/row_count": len(normalized),
        "rejected_values": len(rejections),
        "rejections": dg.MetadataValue.md(markdown_table(reasons.to_dict("records"))),
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
        con.execute("create or replace table identity.match_pairs as select * from scored_pairs "
                    "order by left_id, right_id")
    model = scored.model.to_dict(config)
    weights = [{"comparison": name, **{lvl: w for lvl, w in zip(c["levels"], c["weight"])}}
               for name, c in model["comparisons"].items()]
    return dg.MaterializeResult(metadata={
        "as_of": microseg.as_of_text(context),
        "dagster/row_count": len(scored.i),
        "records": len(scored.ids),
        "candidate_pairs": scored.blocking.candidate_pairs,
        "blocking_rules": dg.MetadataValue.md(markdown_table(scored.blocking.rules)),
        "blocked_values": dg.MetadataValue.json(scored.blocked_values),
        "prior_two_random_records_match": model["lambda"],
        "match_weights_bits": dg.MetadataValue.md(markdown_table(weights)),
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
    with duckdb.get_connection() as con:
        con.execute("create schema if not exists identity")
        decisions = collect_decisions(con, review_dir, context.run_id, as_of)
        ids = np.array(sorted(r[0] for r in con.execute(
            "select contact_id from identity.contacts_normalized").fetchall()), dtype=object)
        register_ids(con, ids, "record_ids")
        pairs = con.execute("""
            select l.idx as i, r.idx as j, p.probability, p.rule
            from identity.match_pairs p
            join record_ids l on l.id = p.left_id
            join record_ids r on r.id = p.right_id""").fetchnumpy()
        i, j = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64)
        prob, rule = pairs["probability"].astype(np.float64), np.asarray(pairs["rule"], dtype=object)
        resolution = resolve(ids, i, j, prob, rule, config, decisions, progress=context.log.info)
        clusters = resolution.clusters
        rep = ids[clusters.representative]
        link = contact_links(ids, clusters, i, j, rule, resolution.decision)
        decided_rows = np.flatnonzero(resolution.decision != SEPARATE)
        con.register("pair_decisions", pd.DataFrame({
            "left_id": ids[i[decided_rows]], "right_id": ids[j[decided_rows]],
            "decision": np.array(DECISION_NAMES, dtype=object)[resolution.decision[decided_rows]]}))
        extra = pd.DataFrame({"left_id": [ids[a] for a, _, _ in resolution.reviewed_only],
                              "right_id": [ids[b] for _, b, _ in resolution.reviewed_only],
                              "decision": [f"review_{d}" for _, _, d in resolution.reviewed_only]},
                             dtype="object")
        con.register("reviewed_only", extra)
        con.execute("""
            create or replace temp view decided_pairs as
            select p.* exclude (rule),
                   case when d.decision in ('review_merge', 'review_separate') then 'review'
                        else p.rule end as rule,
                   coalesce(d.decision, 'separate') as decision
            from identity.match_pairs p
            left join pair_decisions d using (left_id, right_id)
            union all by name
            select left_id, right_id, 'review' as rule, decision from reviewed_only""")
        users = [r[0] for r in con.execute(
            "select distinct user_id from staging.stg_tracking__events where user_id is not null").fetchall()]
        anons = [r[0] for r in con.execute(
            "select distinct anonymous_id from staging.stg_tracking__events where anonymous_id is not null").fetchall()]
        devices = con.execute("""
            select anonymous_id, user_id, count(*) as events, min(occurred_at) as first_at
            from staging.stg_tracking__events
            where anonymous_id is not null and user_id is not null
            group by all""").df()
        previous = {}
        if _exists(con, "identity", "identity_map"):
            previous = {f"{'contact' if t == 'contact_id' else 'user' if t == 'user_id' else 'anon'}:{v}": p
                        for t, v, p in con.execute("select id_type, id_value, person_id from identity.identity_map"
                                                   ).fetchall()}
        mapping = build_identity_map(ids, rep, link, users, anons, devices, previous)
        person_of = dict(zip(mapping.loc[mapping.id_type == "contact_id", "id_value"],
                             mapping.loc[mapping.id_type == "contact_id", "person_id"]))
        cluster_frame = pd.DataFrame({"person_id": [person_of[r] for r in ids[np.unique(clusters.representative)]],
                                      "contact_count": clusters.sizes.astype(np.int64),
                                      "weakest_link_probability": clusters.weakest_link})
        _write(con, "identity.identity_map", mapping)
        _write(con, "identity.clusters", cluster_frame)
        appended = append_ledger(con, "decided_pairs", context.run_id, as_of)
        queue = write_queue(con, "decided_pairs", review_dir)
        counts = dict(con.execute("select decision, count(*) from decided_pairs group by all order by 1").fetchall())
    by_type = mapping.groupby("id_type").size().to_dict()
    persons = mapping["person_id"].nunique()
    context.log.info(f"{len(ids):,} contact records -> {len(cluster_frame):,} CRM persons; "
                     f"{persons:,} persons in all; review queue {queue:,}; ledger +{appended:,}")
    sizes = pd.Series(clusters.sizes).value_counts().sort_index()
    common = {"as_of": as_of}
    yield dg.MaterializeResult(asset_key=["identity", "identity_map"], metadata={
        **common,
        "dagster/row_count": len(mapping),
        "persons": persons,
        "identifiers": dg.MetadataValue.json(by_type),
        "pair_decisions": dg.MetadataValue.json(counts),
        "review_queue": queue,
        "review_queue_csv": dg.MetadataValue.path(str(review_dir / "queue.csv")),
        "decisions_applied": len(decisions),
        "ledger_entries_appended": appended,
    })
    yield dg.MaterializeResult(asset_key=["identity", "clusters"], metadata={
        **common,
        "dagster/row_count": len(cluster_frame),
        "largest_cluster": int(clusters.sizes.max()) if len(clusters.sizes) else 0,
        "max_cluster_size": config.max_cluster_size,
        "cluster_sizes": dg.MetadataValue.md(markdown_table(
            [{"records": int(k), "persons": int(v)} for k, v in sizes.items()])),
        "links_refused": len(clusters.refused),
    })

