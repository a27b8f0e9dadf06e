"""dbt models as Dagster assets: each model its own asset, grouped by domain; dbt tests as asset checks."""


import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.constants import (
    DUCKDB_POOL,
    GROUP_ENRICHMENT,
    GROUP_IDENTITY,
    GROUP_INGEST,
    GROUP_SCORING,
    GROUP_SEGMENTS,
    GROUP_STAGING,
)
from orchestration.lib.scoring import dbt_vars, load_scoring
from orchestration.project import dbt_project
from orchestration.resources.settings import MicrosegResource


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


# The three dbt steps, each one `dbt build` of these paths. A gate's frame (models/gates/gate_<model>) is built in
# the step of the model it checks, so that the blocking GE check reading it runs right after that step.
# int_enrichment__attributes reads the enrichment step's Python assets, which run between the second and the
# third step: it is built with profiles_enriched.
STAGING_SELECT = ("path:models/staging path:models/gates/gate_stg_tracking__events.sql "
                  "path:models/gates/gate_stg_crm__contacts.sql")
PROFILES_SELECT = ("path:models/intermediate path:models/marts/profiles path:models/marts/scoring "
                   "path:models/marts/enrichment/inputs path:models/gates/gate_profiles_cleaned.sql")
PROFILES_EXCLUDE = "path:models/intermediate/int_enrichment__attributes.sql"
ENRICHED_SELECT = ("path:models/intermediate/int_enrichment__attributes.sql "
                   "path:models/marts/enrichment/profiles_enriched.sql path:models/gates/gate_profiles_enriched.sql "
                   "path:models/marts/segments")


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=STAGING_SELECT,
    dagster_dbt_translator=MicrosegTranslator(),
    pool=DUCKDB_POOL,
)
def staging_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, microseg: MicrosegResource):
    """Typed, UTC, deduplicated stg_* models over raw.*, and the frames of their gates; dbt tests surface as
    asset checks."""
    yield from with_run_metadata(dbt.cli(["build"], context=context).stream(), microseg.run_metadata(context))


def with_run_metadata(events, metadata: dict):
    """dbt's events, each model's materialization carrying the run's as_of and warehouse."""
    for event in events:
        if isinstance(event, dg.Output):
            event = event.with_metadata({**event.metadata, **metadata})
        yield event


def _build_with_vars(context: dg.AssetExecutionContext, dbt: DbtCliResource, microseg: MicrosegResource):
    """dbt build with the run's as_of and scoring.yml (validated) as the dbt vars `as_of` and `scoring`."""
    as_of = microseg.as_of_text(context)
    path = Path(microseg.scoring) if microseg.scoring else None
    scoring = load_scoring(path) if path and path.is_file() else load_scoring()   # no file: the defaults
    yield from with_run_metadata(
        dbt.cli(["build", "--vars", json.dumps(dbt_vars(scoring, as_of))], context=context).stream(),
        microseg.run_metadata(context))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=PROFILES_SELECT,
    exclude=PROFILES_EXCLUDE,
    dagster_dbt_translator=MicrosegTranslator(),
    pool=DUCKDB_POOL,
)
def profile_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, microseg: MicrosegResource):
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
def enriched_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, microseg: MicrosegResource):
    """profiles_enriched (each attribute's chosen value with provenance and confidence, over what the
    enrichment assets found), its gate's frame, and the relations segment rules read."""
    yield from _build_with_vars(context, dbt, microseg)
