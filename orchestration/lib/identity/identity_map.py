"""Identity resolution for the pipeline: contact clusters + event identifiers -> one person id each.

- CRM contact records are matched by the engine (`lib/identity/matching/`) with `contacts_match.yml`.
- `userId`s that are CRM contact ids belong to that contact's person; other userIds (app accounts
  not in the CRM) are persons of their own.
- An `anonymousId` belongs to the user it was seen with (identify calls and any event carrying
  both ids): the user with the most such events, ties to the earliest, then the smallest id. A
  shared device therefore never merges two people; it is attributed to one of them.
  A device never seen with a user is a person of its own (anonymous).
- Person ids are stable: a cluster keeps the person id most of its members had in the previous
  run (ties: the larger group, then the smallest member); otherwise it gets a new id derived from
  its smallest member key. The same inputs always give the same ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.lib.core import sha256_hex
from orchestration.lib.identity.clustering import ClusterResult
from orchestration.lib.identity.match_config import MatchConfig, load_config
from orchestration.lib.identity.normalize import normalize_email

CONTACTS_MATCH_CONFIG = Path(__file__).with_name("contacts_match.yml")
MATCH_COLUMNS = ("contact_id", "first_name_folded", "last_name_folded", "birth_date", "birth_year",
                 "match_email", "phone_e164", "gender", "city_folded", "postal_code")


def contacts_config(auto_merge: float | None = None, review: float | None = None,
                    max_cluster_size: int | None = None, path: Path = CONTACTS_MATCH_CONFIG) -> MatchConfig:
    """The contact match configuration, with the thresholds from the user's settings."""
    config = load_config(path)
    return config.with_thresholds(auto_merge if auto_merge is not None else config.auto_merge,
                                  review if review is not None else config.review,
                                  max_cluster_size if max_cluster_size is not None else config.max_cluster_size)


def matching_frame(normalized: pd.DataFrame) -> pd.DataFrame:
    """The columns the contact matcher reads. Only valid emails link: role and disposable addresses
    (shared inboxes, throw-aways) and malformed text are no evidence of the same person."""
    out = pd.DataFrame({"contact_id": normalized["contact_id"].astype(str)})
    for col in ("first_name_folded", "last_name_folded", "phone_e164", "gender", "city_folded", "postal_code"):
        out[col] = normalized[col]
    out["match_email"] = normalized["email"].where(normalized["email_status"] == "valid", None)
    # 'anna.m @web.de' is malformed for sending, but whitespace inside it is a typing slip: it still
    # says who the person is, so it takes part in matching (never in the golden email)
    malformed = np.flatnonzero((normalized["email_status"] == "malformed").to_numpy())
    for k in malformed:
        text = normalized["email"].iat[k]
        if text and any(ch.isspace() for ch in text):
            repaired = normalize_email("".join(text.split()))
            if repaired.status == "valid":
                out.iat[k, out.columns.get_loc("match_email")] = repaired.email
    bd = pd.to_datetime(normalized["birth_date"], errors="coerce")
    out["birth_date"] = bd.dt.strftime("%Y-%m-%d").where(bd.notna(), None)
    out["birth_year"] = bd.dt.year.astype("Int64").astype(str).where(bd.notna(), None)
    return out[list(MATCH_COLUMNS)]


def person_id_for(member_key: str) -> str:
    return "p_" + sha256_hex(member_key)[:16]


def member_key(id_type: str, id_value: str) -> str:
    """`contact:<id>`, `user:<id>` or `anon:<id>`: how an identifier takes part in a group."""
    return f"{'contact' if id_type == 'contact_id' else 'user' if id_type == 'user_id' else 'anon'}:{id_value}"


def previous_person_ids(identity_map_rows: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """member key -> person id, from the (id_type, id_value, person_id) rows of the last identity map."""
    return {member_key(id_type, id_value): person for id_type, id_value, person in identity_map_rows}


@dataclass
class EventIdentifiers:
    """The identifiers the tracked events carry."""
    user_ids: list[str]                   # distinct userIds
    anonymous_ids: list[str]              # distinct anonymousIds
    device_links: pd.DataFrame            # anonymous_id, user_id, events, first_at: one row per pair seen together


def assign_person_ids(groups: dict[str, list[str]], previous: dict[str, str]) -> dict[str, str]:
    """group key -> person id. `groups`: group key -> member keys; `previous`: member key -> old person id."""
    claims = []
    for gkey, members in groups.items():
        votes: dict[str, int] = {}
        for m in members:
            old = previous.get(m)
            if old:
                votes[old] = votes.get(old, 0) + 1
        for old, n in votes.items():
            claims.append((-n, -len(members), min(members), old, gkey))
    claims.sort()
    taken: dict[str, str] = {}
    owner: dict[str, str] = {}
    for _, _, _, old, gkey in claims:
        if gkey in owner or old in taken:
            continue
        owner[gkey], taken[old] = old, gkey
    for gkey in sorted(groups):
        if gkey in owner:
            continue
        base = min(groups[gkey])
        pid, k = person_id_for(base), 0
        while pid in taken:
            k += 1
            pid = person_id_for(f"{base}#{k}")
        owner[gkey], taken[pid] = pid, gkey
    return owner


def device_owners(links: pd.DataFrame) -> pd.DataFrame:
    """anonymous_id -> user_id: the user seen most with the device (ties: earliest, then smallest id).

    `links` has anonymous_id, user_id, events, first_at (one row per pair seen together).
    """
    if links.empty:
        return pd.DataFrame({"anonymous_id": [], "user_id": [], "events": []})
    ranked = links.sort_values(["anonymous_id", "events", "first_at", "user_id"],
                               ascending=[True, False, True, True], kind="stable")
    return ranked.drop_duplicates("anonymous_id")[["anonymous_id", "user_id", "events"]].reset_index(drop=True)


def build_identity_map(contact_ids: np.ndarray, cluster_rep: np.ndarray, contact_link: pd.DataFrame,
                       events: EventIdentifiers, previous: dict[str, str]) -> pd.DataFrame:
    """One row per identifier: id_type, id_value, person_id, linked_by, probability.

    contact_ids / cluster_rep: each contact id and the smallest contact id of its cluster;
    contact_link: contact_id -> linked_by, probability (how it joined its cluster; absent: alone);
    previous: member key -> person id of the last run (`previous_person_ids`).
    """
    user_ids, anonymous_ids = events.user_ids, events.anonymous_ids
    contact_ids = np.asarray(contact_ids).astype(str)
    rep = np.asarray(cluster_rep).astype(str)
    groups: dict[str, list[str]] = {}
    for cid, r in zip(contact_ids.tolist(), rep.tolist()):
        groups.setdefault(f"contact:{r}", []).append(f"contact:{cid}")
    known_contacts = set(contact_ids.tolist())
    crm_user = {u for u in user_ids if u in known_contacts}
    app_users = sorted(set(user_ids) - crm_user)
    for u in app_users:
        groups[f"user:{u}"] = [f"user:{u}"]
    owners = device_owners(events.device_links)
    owned = dict(zip(owners["anonymous_id"], owners["user_id"]))
    lone = sorted(a for a in set(anonymous_ids) if a not in owned)
    for a in lone:
        groups[f"anon:{a}"] = [f"anon:{a}"]
    # a device votes with the person it belongs to, so a person keeps its id through its devices too
    rep_of = dict(zip(contact_ids.tolist(), rep.tolist()))
    for a, u in owned.items():
        groups[f"contact:{rep_of[u]}" if u in rep_of else f"user:{u}"].append(f"anon:{a}")
    pid = assign_person_ids(groups, previous)

    contact_person = {cid: pid[f"contact:{r}"] for cid, r in zip(contact_ids.tolist(), rep.tolist())}
    link = contact_link.set_index("contact_id") if len(contact_link) else None
    rows = []
    for cid in contact_ids.tolist():
        if link is not None and cid in link.index:
            rows.append(("contact_id", cid, contact_person[cid], link.at[cid, "linked_by"],
                         float(link.at[cid, "probability"])))
        else:
            rows.append(("contact_id", cid, contact_person[cid], "self", 1.0))
    for u in sorted(set(user_ids)):
        if u in known_contacts:
            rows.append(("user_id", u, contact_person[u], "contact_id", 1.0))
        else:
            rows.append(("user_id", u, pid[f"user:{u}"], "self", 1.0))
    for a in sorted(set(anonymous_ids)):
        u = owned.get(a)
        if u is None:
            rows.append(("anonymous_id", a, pid[f"anon:{a}"], "self", 1.0))
        else:
            person = contact_person[u] if u in known_contacts else pid[f"user:{u}"]
            rows.append(("anonymous_id", a, person, "identify", 1.0))
    return pd.DataFrame(rows, columns=["id_type", "id_value", "person_id", "linked_by", "probability"])


def person_clusters(identity_map: pd.DataFrame, contact_ids: np.ndarray, clusters: ClusterResult) -> pd.DataFrame:
    """identity.clusters: one row per CRM person (person_id, contact_count, weakest_link_probability)."""
    contacts = identity_map.id_type == "contact_id"
    person_of = dict(zip(identity_map.loc[contacts, "id_value"], identity_map.loc[contacts, "person_id"]))
    return pd.DataFrame({"person_id": [person_of[r] for r in contact_ids[np.unique(clusters.representative)]],
                         "contact_count": clusters.sizes.astype(np.int64),
                         "weakest_link_probability": clusters.weakest_link})
