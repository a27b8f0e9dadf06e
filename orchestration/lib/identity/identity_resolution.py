"""The pipeline's identity step on the warehouse: scored contact pairs (identity.match_pairs) and reviewer
decisions -> clusters, the identity map with stable person ids, the merge ledger and the review queue.

`resolve_identities` reads identity.contacts_normalized, identity.match_pairs, staging.stg_tracking__events
and the last identity.identity_map; in one transaction it stores new reviewer decisions
(identity.review_decisions), appends to identity.merge_ledger and rewrites identity.review_queue,
identity.identity_map and identity.clusters; once that has committed, it rewrites REVIEW/queue.csv.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from orchestration.lib.core import failpoint, table_exists, transaction, write_table
from orchestration.lib.identity.clustering import ClusterResult
from orchestration.lib.identity.identity_map import (
    EventIdentifiers,
    build_identity_map,
    person_clusters,
    previous_person_ids,
)
from orchestration.lib.identity.match_config import MatchConfig
from orchestration.lib.identity.matching import Progress, resolve
from orchestration.lib.identity.pair_tables import pair_indices, register_decided_pairs
from orchestration.lib.identity.review import (
    append_ledger,
    collect_decisions,
    contact_links,
    export_queue,
    write_queue,
)

EVENTS_TABLE = "staging.stg_tracking__events"
PAIRS_TABLE = "identity.match_pairs"


@dataclass
class IdentityResolution:
    identity_map: pd.DataFrame          # identity.identity_map: one row per identifier
    person_clusters: pd.DataFrame       # identity.clusters: one row per CRM person
    clusters: ClusterResult             # the contact clusters (record indices in contact id order)
    contact_records: int
    decisions_applied: int              # reviewer decisions in force
    ledger_entries_appended: int
    review_queue: int                   # pairs waiting for a reviewer
    pair_decisions: dict[str, int]      # decision -> pairs

    @property
    def identifiers_by_type(self) -> dict[str, int]:
        return self.identity_map.groupby("id_type").size().to_dict()

    @property
    def persons(self) -> int:
        return self.identity_map["person_id"].nunique()

    @property
    def cluster_sizes(self) -> list[dict]:
        """How many persons have how many contact records: [{records, persons}], by records."""
        sizes = pd.Series(self.clusters.sizes).value_counts().sort_index()
        return [{"records": int(k), "persons": int(v)} for k, v in sizes.items()]

    @property
    def largest_cluster(self) -> int:
        return int(self.clusters.sizes.max()) if len(self.clusters.sizes) else 0


def event_identifiers(con: duckdb.DuckDBPyConnection, events_table: str = EVENTS_TABLE) -> EventIdentifiers:
    users = [r[0] for r in con.execute(
        f"select distinct user_id from {events_table} where user_id is not null").fetchall()]
    anons = [r[0] for r in con.execute(
        f"select distinct anonymous_id from {events_table} where anonymous_id is not null").fetchall()]
    devices = con.execute(f"""
        select anonymous_id, user_id, count(*) as events, min(occurred_at) as first_at
        from {events_table}
        where anonymous_id is not null and user_id is not null
        group by all""").df()
    return EventIdentifiers(users, anons, devices)


def _previous_identity_map(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    if not table_exists(con, "identity", "identity_map"):
        return {}
    return previous_person_ids(con.execute("select id_type, id_value, person_id from identity.identity_map"
                                           ).fetchall())


def resolve_identities(con: duckdb.DuckDBPyConnection, config: MatchConfig, review_dir: Path, run_id: str,
                       as_of: str, progress: Progress | None = None) -> IdentityResolution:
    """Clusters from accepted links (union-find, size cap, reviewer decisions), the identity map with
    stable person ids, the append-only merge ledger and the review queue (table + review/queue.csv): the
    tables in one transaction, then the file."""
    with transaction(con):
        resolution = _resolve_and_write(con, config, review_dir, run_id, as_of, progress)
    export_queue(con, review_dir)
    return resolution


def _resolve_and_write(con: duckdb.DuckDBPyConnection, config: MatchConfig, review_dir: Path, run_id: str,
                       as_of: str, progress: Progress | None) -> IdentityResolution:
    con.execute("create schema if not exists identity")
    decisions = collect_decisions(con, review_dir, run_id, as_of)
    ids = np.array(sorted(r[0] for r in con.execute(
        "select contact_id from identity.contacts_normalized").fetchall()), dtype=object)
    i, j, probability, rule = pair_indices(con, PAIRS_TABLE, ids)
    resolution = resolve(ids, i, j, probability, rule, config, decisions, progress=progress)
    clusters = resolution.clusters
    link = contact_links(ids, clusters, i, j, rule, resolution.decision)
    register_decided_pairs(con, PAIRS_TABLE, ids, i, j, resolution, name="decided_pairs")
    mapping = build_identity_map(ids, ids[clusters.representative], link, event_identifiers(con),
                                 _previous_identity_map(con))
    appended = append_ledger(con, "decided_pairs", run_id, as_of)
    queue = write_queue(con, "decided_pairs")
    counts = dict(con.execute("select decision, count(*) from decided_pairs group by all order by 1").fetchall())
    persons = person_clusters(mapping, ids, clusters)
    write_table(con, "identity.identity_map", mapping)
    failpoint("identity.map")
    write_table(con, "identity.clusters", persons)
    return IdentityResolution(identity_map=mapping, person_clusters=persons,
                              clusters=clusters, contact_records=len(ids), decisions_applied=len(decisions),
                              ledger_entries_appended=appended, review_queue=queue, pair_decisions=counts)
