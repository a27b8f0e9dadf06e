"""What `microseg segments preview | members | diff` do, on a warehouse built by the pipeline.

They read the segments.seg_* relations (dbt models over profiles and scores) and evaluate one
segment at an `as_of` without materializing anything.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from orchestration.lib.segments import dsl as segment_dsl

# the pipeline's relations: seg_events is unique per message_id and seg_profiles per person_id (blocking
# dbt tests on both), so the compiled SQL need not deduplicate again
SCHEMA = segment_dsl.DEFAULT_SCHEMA.extend(
    profiles="segments.seg_profiles", events="segments.seg_events", score_table="segments.seg_scores",
    affinity="segments.seg_affinity", deduplicated=True)


class SegmentToolError(ValueError):
    """The warehouse or the definitions cannot answer the question (the message says why)."""


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.is_file():
        raise SegmentToolError(f"warehouse {path} does not exist: run `microseg run` first")
    con = duckdb.connect(str(path), read_only=True)
    if not con.execute("select count(*) from information_schema.tables where table_schema = 'segments' "
                       "and table_name = 'seg_profiles'").fetchall()[0][0]:
        con.close()
        raise SegmentToolError(f"warehouse {path} has no segments.seg_profiles: run `microseg run` first")
    return con


def compile_from(catalog: segment_dsl.Catalog, name: str) -> segment_dsl.CompiledSegment:
    try:
        return catalog.compile(name)
    except segment_dsl.SegmentError as exc:
        raise SegmentToolError("\n".join(str(i) for i in exc.issues)) from exc


def describe_members(con: duckdb.DuckDBPyConnection, members: list[str], sample: int = 10) -> tuple[int, list[dict]]:
    """How many of `members` are reachable, and a sample of them without personal data."""
    con.register("described_members", pd.DataFrame({"person_id": pd.Series(members, dtype="object")}))
    reachable = con.execute("select count(*) from described_members join segments.seg_profiles p "
                            "using (person_id) where p.is_reachable").fetchall()[0][0]
    rows = con.execute(f"""
        select m.person_id, s.tier, p.city, p.country, p.is_reachable
        from described_members m join segments.seg_profiles p using (person_id)
        left join segments.seg_scores s using (person_id)
        order by m.person_id limit {int(sample)}""").df()
    con.unregister("described_members")
    return int(reachable), rows.astype(str).to_dict("records")


def preview(con: duckdb.DuckDBPyConnection, compiled: segment_dsl.CompiledSegment, as_of, sample: int = 10) -> dict:
    """Size, reachable size and a sample of members (no personal data) at `as_of`."""
    members = compiled.members(con, as_of)
    reachable, rows = describe_members(con, members, sample)
    return {"segment": compiled.name, "as_of": str(as_of), "size": len(members), "reachable": reachable,
            "sample": rows}


def members_frame(con: duckdb.DuckDBPyConnection, compiled: segment_dsl.CompiledSegment, as_of) -> pd.DataFrame:
    """The members with person_id, email, contact_ids, user_ids, is_reachable (for export)."""
    frame = pd.DataFrame({"person_id": pd.Series(compiled.members(con, as_of), dtype="object")})
    con.register("export_members", frame)
    out = con.execute("""
        select m.person_id, p.email, array_to_string(p.contact_ids, ' ') as contact_ids,
               array_to_string(p.user_ids, ' ') as user_ids, s.is_reachable
        from export_members m
        join marts.profiles_cleaned p using (person_id)
        join segments.seg_profiles s using (person_id)
        order by m.person_id""").df()
    con.unregister("export_members")
    return out


def other_definition(segment_file: Path, against: str, repo: Path) -> dict:
    """The definition to compare with: a file path, else the same file at git revision `against`."""
    candidate = Path(against)
    if candidate.is_file():
        return yaml.safe_load(candidate.read_text(encoding="utf-8"))
    try:
        rel = segment_file.resolve().relative_to(repo.resolve())
    except ValueError as exc:
        raise SegmentToolError(f"{segment_file} is not inside the git repository {repo}: give a FILE") from exc
    proc = subprocess.run(["git", "-C", str(repo), "show", f"{against}:{rel.as_posix()}"], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise SegmentToolError(f"--against {against!r}: neither a file nor a git revision holding {rel} "
                               f"({proc.stderr.strip()})")
    return yaml.safe_load(proc.stdout)


def diff(con: duckdb.DuckDBPyConnection, catalog: segment_dsl.Catalog, name: str, other_doc: dict, as_of
         ) -> dict:
    """Members added and removed by the current definition of `name` compared with `other_doc`."""
    current = compile_from(catalog, name)
    result = catalog.result(name)
    source = f"{result.source} (other version)" if result else "<other version>"
    others = {k: v for k, v in catalog.segments.items() if k != name}
    try:
        old_segment = segment_dsl.parse_segment(other_doc, source, SCHEMA)
    except segment_dsl.SegmentError as exc:
        raise SegmentToolError("\n".join(str(i) for i in exc.issues)) from exc
    if old_segment.name != name:
        old_segment = segment_dsl.parse_segment({**other_doc, "name": name}, source, SCHEMA)
    old = segment_dsl.compile_segment(name, {**others, name: old_segment}, SCHEMA)
    now, before = set(current.members(con, as_of)), set(old.members(con, as_of))
    return {"segment": name, "as_of": str(as_of), "before": len(before), "after": len(now),
            "added": sorted(now - before), "removed": sorted(before - now),
            "rule_version_before": old_segment.version, "rule_version_after": catalog.segments[name].version}
