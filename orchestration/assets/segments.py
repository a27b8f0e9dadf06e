"""One asset per segment file (generated when the code location loads), each behind a blocking gate.

Thin glue: compile the YAML (lib/segment_dsl.py), run it against the segments.seg_* relations at
the run's as_of, record membership and history (lib/segment_history.py), report metadata.
A broken segment file becomes an asset that fails with the file's errors: the code location
still loads and every other segment is evaluated.
"""

import re
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.constants import DUCKDB_POOL, GROUP_SEGMENTS
from orchestration.lib import segment_dsl, segment_history
from orchestration.lib.segment_tools import SCHEMA
from orchestration.lib.summary import markdown_table
from orchestration.resources.expectations import GreatExpectationsResource
from orchestration.resources.settings import MicrosegResource

EVALUATION_RELATIONS = ["seg_profiles", "seg_events", "seg_scores", "seg_affinity"]
SAMPLE_SIZE = 10
_TAG_RE = re.compile(r"[^A-Za-z0-9_.\-]")

GATE_SQL = """
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


def segment_sources(directory: Path) -> list[tuple[str, Path]]:
    """(asset name, file) for every segment file: the name inside it when readable, else the file stem."""
    return [(p.stem, p) for p in segment_dsl.segment_files(directory)] if directory.is_dir() else []


def _owners(owner: str | None) -> list[str]:
    if not owner:
        return []
    return [owner if "@" in owner or owner.startswith("team:") else f"team:{owner}"]


def build_segment_assets(directory: Path) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    catalog = segment_dsl.load_catalog(directory, schema=SCHEMA)
    assets, checks = [], []
    for result in catalog.results:
        name = result.name or Path(result.source).stem
        seg = result.segment
        deps = EVALUATION_RELATIONS + [dg.AssetKey(["segments", d]) for d in (seg.depends_on if seg else ())]
        description = (seg.description if seg and seg.description else f"Segment {name} ({result.source})")
        assets.append(_segment_asset(name, result, catalog, description, deps))
        checks.append(_segment_gate(name, bool(seg and seg.expect_nonempty)))
    return assets, checks


def _segment_asset(name: str, result: segment_dsl.FileResult, catalog: segment_dsl.Catalog, description: str,
                   deps: list) -> dg.AssetsDefinition:
    seg = result.segment
    tags = {_TAG_RE.sub("_", t)[:60]: "" for t in (seg.tags if seg else ())}

    @dg.asset(key=["segments", name], group_name=GROUP_SEGMENTS, description=description, deps=deps,
              owners=_owners(seg.owner if seg else None), tags=tags, kinds={"python", "duckdb"},
              pool=DUCKDB_POOL)
    def _asset(context: dg.AssetExecutionContext, microseg: MicrosegResource,
               duckdb: DuckDBResource) -> dg.MaterializeResult:
        if not result.ok:
            problems = result.errors or [segment_dsl.Issue(result.source, "", "the segment could not be loaded")]
            raise dg.Failure(description=f"segment file {result.source} is broken:\n"
                                         + "\n".join(str(i) for i in problems))
        compiled = catalog.compile(name)
        as_of = microseg.as_of_for(context)
        with duckdb.get_connection() as con:
            members = compiled.members(con, as_of)
            change = segment_history.record(con, name, members, as_of, context.run_id, seg.version)
            reachable = con.execute("""
                select count(*) from segments.segment_membership m join segments.seg_profiles p using (person_id)
                where m.segment = ? and m.as_of = ? and p.is_reachable""",
                                    [name, as_of.replace(tzinfo=None)]).fetchall()[0][0]
            sample = con.execute(f"""
                select m.person_id, s.tier, p.city, p.country, p.is_reachable
                from segments.segment_membership m
                join segments.seg_profiles p using (person_id)
                left join segments.seg_scores s using (person_id)
                where m.segment = ? and m.as_of = ?
                order by m.person_id limit {SAMPLE_SIZE}""", [name, as_of.replace(tzinfo=None)]).df()
        context.log.info(f"segment {name}: {change.total:,} members ({reachable:,} reachable), "
                         f"+{change.entered:,} entered, -{change.exited:,} exited")
        return dg.MaterializeResult(metadata={
            "as_of": microseg.as_of_text(context),
            "dagster/row_count": change.total,
            "total_size": change.total,
            "reachable_size": reachable,
            "entered": change.entered,
            "exited": change.exited,
            "previous_size": change.previous_total if change.previous_total is not None else -1,
            "rule_version": seg.version,
            "source_file": dg.MetadataValue.path(result.source),
            "sample_members": dg.MetadataValue.md(markdown_table(sample.astype(str).to_dict("records"))),
            "compiled_sql": dg.MetadataValue.md(f"```sql\n{compiled.sql}\n```"),
        })

    return _asset


def _segment_gate(name: str, expect_nonempty: bool) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey(["segments", name]), name="ge_segment_activation", blocking=True,
                    description="GE suite segment__activation: size change since the previous run within "
                                "segment_max_change, non-empty when expect_nonempty, no suppressed person "
                                "counted reachable. Blocking: activation never sees a broken list.")
    def _gate(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource, gx: GreatExpectationsResource,
              microseg: MicrosegResource) -> dg.AssetCheckResult:
        from orchestration.checks.gates import gate_result

        as_of = microseg.as_of_for(context)
        with duckdb.get_connection() as con:
            df = con.execute(GATE_SQL, {"segment": name, "as_of": as_of.replace(tzinfo=None),
                                        "max_change": microseg.segment_max_change,
                                        "min_members": microseg.segment_change_min_members,
                                        "expect_nonempty": expect_nonempty}).df()
        return gate_result(gx, "segment__activation", df, microseg.as_of_text(context))

    return _gate
