"""What `microseg segments preview | members | diff` do, on a warehouse built by the pipeline.

They read the segments.seg_* relations (dbt models over profiles and scores) and evaluate one
segment at an `as_of` without materializing anything.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.lib.core import YamlFileError, load_yaml, parse_yaml
from orchestration.lib.segments.dsl import (
    DEFAULT_SCHEMA,
    Catalog,
    CompiledSegment,
    SegmentError,
    compile_segment,
    parse_segment,
)
from orchestration.lib.warehouse import Say, open_for_reading

# the pipeline's relations: seg_events is unique per message_id and seg_profiles per person_id (blocking
# dbt tests on both), so the compiled SQL need not deduplicate again
SCHEMA = DEFAULT_SCHEMA.extend(
    profiles="segments.seg_profiles", events="segments.seg_events", score_table="segments.seg_scores",
    affinity="segments.seg_affinity", deduplicated=True)


class SegmentToolError(ValueError):
    """The warehouse or the definitions cannot answer the question (the message says why)."""


@contextmanager
def open_warehouse(path: Path, timeout_s: float, say: Say | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse, read-only, for the `with` block: waits up to `timeout_s` for a running run (WarehouseBusy),
    WarehouseMissing without a file, SegmentToolError when no run has built the segments relations."""
    with open_for_reading(path, timeout_s=timeout_s, say=say) as con:
        if not con.execute("select count(*) from information_schema.tables where table_schema = 'segments' "
                           "and table_name = 'seg_profiles'").fetchall()[0][0]:
            raise SegmentToolError(f"warehouse {path} has no segments.seg_profiles: run `microseg run` first")
        yield con


def compile_from(catalog: Catalog, name: str) -> CompiledSegment:
    try:
        return catalog.compile(name)
    except SegmentError as exc:
        raise SegmentToolError(str(exc)) from exc


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


def preview(con: duckdb.DuckDBPyConnection, compiled: CompiledSegment, as_of, sample: int = 10) -> dict:
    """Size, reachable size and a sample of members (no personal data) at `as_of`."""
    members = compiled.members(con, as_of)
    reachable, rows = describe_members(con, members, sample)
    return {"segment": compiled.name, "as_of": str(as_of), "size": len(members), "reachable": reachable,
            "sample": rows}


def members_frame(con: duckdb.DuckDBPyConnection, compiled: CompiledSegment, as_of) -> pd.DataFrame:
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
        try:
            return load_yaml(candidate)
        except YamlFileError as exc:
            raise SegmentToolError(str(exc)) from exc
    try:
        rel = segment_file.resolve().relative_to(repo.resolve())
    except ValueError as exc:
        raise SegmentToolError(f"{segment_file} is not inside the git repository {repo}: give a FILE") from exc
    proc = subprocess.run(["git", "-C", str(repo), "show", f"{against}:{rel.as_posix()}"], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise SegmentToolError(f"--against {against!r}: neither a file nor a git revision holding {rel} "
                               f"({proc.stderr.strip()})")
    try:
        return parse_yaml(proc.stdout, f"{against}:{rel.as_posix()}")
    except YamlFileError as exc:
        raise SegmentToolError(str(exc)) from exc


def diff(con: duckdb.DuckDBPyConnection, catalog: Catalog, name: str, other_doc: dict, as_of) -> dict:
    """Members added and removed by the current definition of `name` compared with `other_doc`."""
    current = compile_from(catalog, name)
    result = catalog.result(name)
    source = f"{result.source} (other version)" if result else "<other version>"
    others = {k: v for k, v in catalog.segments.items() if k != name}
    try:
        old_segment = parse_segment(other_doc, source, SCHEMA)
    except SegmentError as exc:
        raise SegmentToolError(str(exc)) from exc
    if old_segment.name != name:
        old_segment = parse_segment({**other_doc, "name": name}, source, SCHEMA)
    old = compile_segment(name, {**others, name: old_segment}, SCHEMA)
    now, before = set(current.members(con, as_of)), set(old.members(con, as_of))
    return {"segment": name, "as_of": str(as_of), "before": len(before), "after": len(now),
            "added": sorted(now - before), "removed": sorted(before - now),
            "rule_version_before": old_segment.version, "rule_version_after": catalog.segments[name].version}


def latest_run_as_of(con: duckdb.DuckDBPyConnection):
    """The as_of of the warehouse's latest pipeline run (its newest segment evaluation), aware UTC; None before
    the first run. The default instant of preview / members / diff, so they agree with what the run built."""
    from datetime import timezone

    exists = con.execute("select count(*) from information_schema.tables "
                         "where table_schema = 'segments' and table_name = 'segment_membership'").fetchall()[0][0]
    if not exists:
        return None
    latest = con.execute("select max(as_of) from segments.segment_membership").fetchall()[0][0]
    return latest.replace(tzinfo=timezone.utc) if latest is not None else None
