"""dbt models as Dagster assets: each model its own asset, grouped by domain; dbt tests as asset checks."""


import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, dbt_assets

from orchestration.constants import (
    DBT_PROJECT_DIR,
    DUCKDB_POOL,
    FULL_REFRESH_TAG,
    GROUP_ENRICHMENT,
    GROUP_IDENTITY,
    GROUP_INGEST,
    GROUP_SCORING,
    GROUP_SEGMENTS,
    GROUP_STAGING,
)
from orchestration.lib.core import FAILED_ASSETS, failpoint, one_line
from orchestration.lib.scoring import dbt_vars, load_scoring
from orchestration.project import dbt_project
from orchestration.resources.settings import MicrosegResource
from orchestration.resources.warehouse import WarehouseDbtResource

# The Dagster group of a dbt model, from where it lives (dbt_project/models/, STYLE §5; DESIGN.md's asset graph):
#   staging/<source>/stg_<source>__*   staging
#   intermediate/int_<entity>__*       the domain the entity serves (INTERMEDIATE_GROUPS)
#   marts/<domain>/...                 MART_GROUPS[domain]; the profiles marts end the identity group
#   gates/gate_<model>                 the group of <model>: a gate's frame sits beside what it checks
MART_GROUPS = {"profiles": GROUP_IDENTITY, "scoring": GROUP_SCORING, "enrichment": GROUP_ENRICHMENT,
               "segments": GROUP_SEGMENTS}
INTERMEDIATE_GROUPS = {
    "identity": GROUP_IDENTITY, "contacts": GROUP_IDENTITY, "persons": GROUP_IDENTITY,
    # attribution applies the identity map to events and orders; int_events__attributed feeds profiles_cleaned
    # (first and last seen, identify-trait emails), so both stay with identity, upstream of the golden record,
    # rather than in scoring, which would put a scoring asset before identity in the graph
    "events": GROUP_IDENTITY, "orders": GROUP_IDENTITY,
    "enrichment": GROUP_ENRICHMENT,
}


def model_group(manifest: Mapping[str, Any], props: Mapping[str, Any]) -> str:
    """The Dagster group of the dbt model `props` (its manifest node); a model outside the layout is an error."""
    fqn, name = props["fqn"], props["name"]           # fqn: [project, layer, (domain, ...), name]
    layer, group = fqn[1], None
    if layer == "staging":
        group = GROUP_STAGING
    elif layer == "intermediate":
        group = INTERMEDIATE_GROUPS.get(name.removeprefix("int_").split("__")[0])
    elif layer == "marts" and len(fqn) > 3:
        group = MART_GROUPS.get(fqn[2])
    elif layer == "gates":
        checked = manifest["nodes"].get(f"model.{props['package_name']}.{name.removeprefix('gate_')}")
        group = model_group(manifest, checked) if checked else None
    if group is None:
        raise ValueError(f"dbt model {name} ({props.get('original_file_path')}): no Dagster group for it; "
                         "models live in staging/<source>/, intermediate/int_<entity>__*, marts/<domain>/ or "
                         "gates/gate_<model> (orchestration/assets/dbt.py maps entities and domains to groups)")
    return group


class MicrosegTranslator(DagsterDbtTranslator):
    """Models keyed by name and grouped by domain (model_group); sources stay in `ingest`."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            # a source table is the ingest asset that loads it: keyed [schema, table] (raw/events, identity/...)
            return spec.replace_attributes(key=dg.AssetKey([props["schema"], props["name"]]),
                                           group_name=GROUP_INGEST)
        if props["resource_type"] != "model":
            return spec.replace_attributes(group_name=GROUP_INGEST)
        # a model is keyed by its name alone (its +schema would otherwise become a key prefix)
        return spec.replace_attributes(key=dg.AssetKey([props["name"]]), group_name=model_group(manifest, props),
                                       kinds={"dbt", "duckdb"})


# The dbt steps, each one `dbt build` of these paths: one staging step per source (models/staging/<source>/), so
# that a broken file of one source blocks only what reads it, then the profiles and the enriched steps. A gate's
# frame (models/gates/gate_<model>) is built in the step of the model it checks, so that the blocking GE check
# reading it runs right after that step. int_enrichment__attributes reads the enrichment step's Python assets,
# which run between the profiles and the enriched step: it is built with profiles_enriched.
MODELS_DIR = DBT_PROJECT_DIR / "models"
STAGING_SOURCES = sorted(p.name for p in (MODELS_DIR / "staging").iterdir() if p.is_dir())
PROFILES_SELECT = ("path:models/intermediate path:models/marts/profiles path:models/marts/scoring "
                   "path:models/marts/enrichment/inputs path:models/gates/gate_profiles_cleaned.sql")
PROFILES_EXCLUDE = "path:models/intermediate/int_enrichment__attributes.sql"
ENRICHED_SELECT = ("path:models/intermediate/int_enrichment__attributes.sql "
                   "path:models/marts/enrichment/profiles_enriched.sql path:models/gates/gate_profiles_enriched.sql "
                   "path:models/marts/segments")


def staging_select(source: str) -> str:
    """The staging models of one source and the frames of their gates (models/gates/gate_stg_<source>__*)."""
    gates = sorted(p.name for p in (MODELS_DIR / "gates").glob(f"gate_stg_{source}__*.sql"))
    return " ".join([f"path:models/staging/{source}", *(f"path:models/gates/{g}" for g in gates)])


def _dbt_subject(node: Mapping[str, Any], nodes: Mapping[str, Any]) -> str | None:
    """The model (the asset) a dbt node concerns: a model itself; a test's model (attached, its meta ref, or
    the model it reads); a unit test's model."""
    if node.get("resource_type") == "model":
        return node["name"]
    if node.get("resource_type") == "unit_test":
        return node.get("model")
    ref = ((node.get("config") or {}).get("meta") or {}).get("dagster", {}).get("ref", {}).get("name")
    parents = [node.get("attached_node"), *(node.get("depends_on") or {}).get("nodes", [])]
    models = [nodes[p]["name"] for p in parents if p in nodes and nodes[p].get("resource_type") == "model"]
    return ref or (models[0] if models else None)


def dbt_failure(invocation) -> dg.Failure:
    """A failed `dbt build` as one dg.Failure: each failed model or test in one line, naming the model (the
    asset) it concerns; dbt's own error messages when it failed before running anything."""
    try:
        results = invocation.get_artifact("run_results.json")["results"]
    except (OSError, ValueError, KeyError):
        results = []
    manifest = invocation.manifest
    nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    failed, reasons = [], []
    for result in (r for r in results if r.get("status") in ("error", "fail")):
        node = nodes.get(result["unique_id"], {})
        name, model = node.get("name", result["unique_id"]), _dbt_subject(node, nodes)
        failed += [model] if model and model not in failed else []
        reasons.append(f"{node.get('resource_type', 'node')} {name}" + (f" on {model}" if model and model != name
                                                                         else "")
                       + f" {result['status']}: {one_line(result.get('message'))}")
    if not reasons:
        text = str(getattr(invocation.get_error(), "description", "") or "dbt build failed")
        reasons = [one_line(text.split("Errors parsed from dbt logs:")[-1])]
    return dg.Failure(description="dbt build failed: " + "; ".join(reasons),
                      metadata={FAILED_ASSETS: dg.MetadataValue.json(failed), "dbt_command": invocation.dbt_command})


def with_run_metadata(events, metadata: dict):
    """dbt's events, each model's materialization carrying the run's as_of and warehouse."""
    for event in events:
        if isinstance(event, dg.Output):
            event = event.with_metadata({**event.metadata, **metadata})
            failpoint("dbt.build")
        yield event


def dbt_target(microseg: MicrosegResource) -> Path:
    """The warehouse's own dbt target folder: its partial parse (parsed without the run's vars, which reach each
    build instead: orchestration/resources/dbt_in_process.py) holds from one run to the next. Steps never
    overlap (the DuckDB pool has one slot), and each reads its run_results.json before the next starts."""
    warehouse = Path(microseg.warehouse).resolve()
    key = hashlib.sha256(str(warehouse).encode()).hexdigest()[:12]
    return Path(dbt_project.project_dir) / dbt_project.target_path / "warehouses" / f"{warehouse.stem}-{key}"


def dbt_build(context: dg.AssetExecutionContext, dbt: WarehouseDbtResource, microseg: MicrosegResource,
              args: tuple[str, ...] = ()):
    """`dbt build` of this step's selection, in this process: each model's materialization with the run's
    metadata, dbt's output at debug, a failed build a dg.Failure naming what failed (dbt_failure). With the run
    tag microseg/full_refresh=true, `dbt build --full-refresh`: incremental models rebuilt from all of raw.
    dbt's unit tests are left out (they test SQL, not data; `make test` runs them)."""
    target = dbt_target(microseg)
    target.mkdir(parents=True, exist_ok=True)
    (target / "run_results.json").unlink(missing_ok=True)      # never an earlier step's results
    full_refresh = ("--full-refresh",) if context.run.tags.get(FULL_REFRESH_TAG) == "true" else ()
    # dbt's unit tests test the models' SQL on fixed inputs, not the data: they run in `make test`
    # (tests/operations/test_dbt_in_process.py), as dbt advises, not in every production build
    invocation = dbt.build(["build", *full_refresh, "--exclude-resource-type", "unit_test", *args],
                           context=context, target=target)
    yield from with_run_metadata(invocation.stream(), microseg.run_metadata(context))
    if invocation.get_error() is not None:
        raise dbt_failure(invocation)
    context.log.info(dbt_done(invocation))


def dbt_done(invocation) -> str:
    """The progress line of a dbt step: how many models and tests it ran."""
    try:
        results = invocation.get_artifact("run_results.json")["results"]
    except (OSError, ValueError, KeyError):
        return "dbt build done"
    models = sum(r["unique_id"].startswith("model.") for r in results)
    tests, skipped = len(results) - models, sum(r.get("status") == "skipped" for r in results)
    return (f"dbt built {models} model{'s' * (models != 1)} and ran {tests} test{'s' * (tests != 1)}"
            + (f", {skipped} skipped" if skipped else ""))


def build_staging_models(source: str) -> dg.AssetsDefinition:
    """The staging step of one source: its stg_<source>__* models and their gates' frames."""

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        select=staging_select(source),
        name=f"staging_{source}_models",
        dagster_dbt_translator=MicrosegTranslator(),
        pool=DUCKDB_POOL,
    )
    def _models(context: dg.AssetExecutionContext, dbt: WarehouseDbtResource, microseg: MicrosegResource):
        """Typed, UTC, deduplicated stg_* models of one source over raw.*, and the frames of their gates; dbt
        tests surface as asset checks."""
        yield from dbt_build(context, dbt, microseg)

    return _models


staging_models = [build_staging_models(source) for source in STAGING_SOURCES]


def _build_with_vars(context: dg.AssetExecutionContext, dbt: WarehouseDbtResource, microseg: MicrosegResource):
    """dbt build with the run's as_of and scoring.yml (validated) as the dbt vars `as_of` and `scoring`."""
    as_of = microseg.as_of_text(context)
    path = Path(microseg.scoring) if microseg.scoring else None
    scoring = load_scoring(path) if path and path.is_file() else load_scoring()   # no file: the defaults
    yield from dbt_build(context, dbt, microseg, ("--vars", json.dumps(dbt_vars(scoring, as_of))))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=PROFILES_SELECT,
    exclude=PROFILES_EXCLUDE,
    dagster_dbt_translator=MicrosegTranslator(),
    pool=DUCKDB_POOL,
)
def profile_models(context: dg.AssetExecutionContext, dbt: WarehouseDbtResource, microseg: MicrosegResource):
    """Golden records over the identity map (profiles_cleaned, profile emails and phones), events and
    orders attributed to persons, behavior scores, the enrichment step's inputs (declared labels,
    behavior features), and the profiles gate's frame. The run's as_of and scoring.yml are passed as dbt vars."""
    yield from _build_with_vars(context, dbt, microseg)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=ENRICHED_SELECT,
    dagster_dbt_translator=MicrosegTranslator(),
    pool=DUCKDB_POOL,
)
def enriched_models(context: dg.AssetExecutionContext, dbt: WarehouseDbtResource, microseg: MicrosegResource):
    """profiles_enriched (each attribute's chosen value with provenance and confidence, over what the
    enrichment assets found), its gate's frame, and the relations segment rules read."""
    yield from _build_with_vars(context, dbt, microseg)
