"""One asset per segment file (generated when the code location loads), each behind a blocking gate.

Thin glue: compile the YAML (lib/segments/dsl/), run it against the segments.seg_* relations at
the run's as_of, record membership and history (lib/segments/history.py), report metadata.
A broken segment file becomes an asset that fails with the file's errors: the code location
still loads and every other segment is evaluated.
"""

import re
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.checks.gates import segment_gate
from orchestration.constants import DUCKDB_POOL, GROUP_SEGMENTS
from orchestration.lib.core import markdown_table
from orchestration.lib.segments import (
    SCHEMA,
    Catalog,
    FileResult,
    Issue,
    describe_members,
    load_catalog,
    record,
)
from orchestration.resources.settings import MicrosegResource

EVALUATION_RELATIONS = ["seg_profiles", "seg_events", "seg_scores", "seg_affinity"]
SAMPLE_SIZE = 10
_TAG_RE = re.compile(r"[^A-Za-z0-9_.\-]")


def _owners(owner: str | None) -> list[str]:
    if not owner:
        return []
    return [owner if "@" in owner or owner.startswith("team:") else f"team:{owner}"]


def build_segment_assets(directory: Path) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    catalog = load_catalog(directory, schema=SCHEMA)
    assets, checks = [], []
    for result in catalog.results:
        name = result.name or Path(result.source).stem
        seg = result.segment
        deps = EVALUATION_RELATIONS + [dg.AssetKey(["segments", d]) for d in (seg.depends_on if seg else ())]
        description = (seg.description if seg and seg.description else f"Segment {name} ({result.source})")
        assets.append(_segment_asset(name, result, catalog, description, deps))
        checks.append(segment_gate(name, bool(seg and seg.expect_nonempty)))
    return assets, checks


def _segment_asset(name: str, result: FileResult, catalog: Catalog, description: str,
                   deps: list) -> dg.AssetsDefinition:
    seg = result.segment
    tags = {_TAG_RE.sub("_", t)[:60]: "" for t in (seg.tags if seg else ())}

    @dg.asset(key=["segments", name], group_name=GROUP_SEGMENTS, description=description, deps=deps,
              owners=_owners(seg.owner if seg else None), tags=tags, kinds={"python", "duckdb"},
              pool=DUCKDB_POOL)
    def _asset(context: dg.AssetExecutionContext, microseg: MicrosegResource,
               duckdb: DuckDBResource) -> dg.MaterializeResult:
        if not result.ok:
            problems = result.errors or [Issue(result.source, "", "the segment could not be loaded")]
            raise dg.Failure(description=f"segment file {result.source} is broken:\n"
                                         + "\n".join(str(i) for i in problems))
        compiled = catalog.compile(name)
        as_of = microseg.as_of_for(context)
        with duckdb.get_connection() as con:
            members = compiled.members(con, as_of)
            change = record(con, name, members, as_of, context.run_id, seg.version)
            reachable, sample = describe_members(con, members, SAMPLE_SIZE)
        context.log.info(f"segment {name}: {change.total:,} members ({reachable:,} reachable), "
                         f"+{change.entered:,} entered, -{change.exited:,} exited")
        return dg.MaterializeResult(metadata={
            **microseg.run_metadata(context),
            "dagster/row_count": change.total,
            "total_size": change.total,
            "reachable_size": reachable,
            "entered": change.entered,
            "exited": change.exited,
            "previous_size": change.previous_total if change.previous_total is not None else -1,
            "rule_version": seg.version,
            "source_file": dg.MetadataValue.path(result.source),
            "sample_members": dg.MetadataValue.md(markdown_table(sample)),
            "compiled_sql": dg.MetadataValue.md(f"```sql\n{compiled.sql}\n```"),
        })

    return _asset
