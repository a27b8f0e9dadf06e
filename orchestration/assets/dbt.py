"""dbt models as Dagster assets: each model its own asset, dbt tests as asset checks."""


import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.constants import DUCKDB_POOL, GROUP_INGEST
from orchestration.lib.scoring import dbt_vars, load_scoring
from orchestration.project import dbt_project
from orchestration.resources.settings import MicrosegResource


class MicrosegTranslator(DagsterDbtTranslator):
    """Models keyed by name, grouped by folder (staging, intermediate, marts); sources stay in `ingest`."""

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
        return spec.replace_attributes(key=dg.AssetKey([props["name"]]), group_name=props["fqn"][1],
                                       kinds={"dbt", "duckdb"})


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select="path:models/staging",
    dagster_dbt_translator=MicrosegTranslator(),
    pool=DUCKDB_POOL,
)
def staging_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Typed, UTC, deduplicated stg_* models over raw.*; dbt tests surface as asset checks."""
    yield from dbt.cli(["build"], context=context).stream()


def _build_with_vars(context: dg.AssetExecutionContext, dbt: DbtCliResource, microseg: MicrosegResource):
    """dbt build with the run's as_of and scoring.yml (validated) as the dbt vars `as_of` and `scoring`."""
    as_of = microseg.as_of_text(context)
    path = Path(microseg.scoring) if microseg.scoring else None
    scoring = load_scoring(path) if path and path.is_file() else load_scoring()   # no file: the defaults
    yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars(scoring, as_of))], context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select="path:models/intermediate path:models/marts path:models/scoring path:models/enrichment/inputs",
    dagster_dbt_translator=MicrosegTranslator(),
    pool=DUCKDB_POOL,
)
def profile_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, microseg: MicrosegResource):
    """Golden records over the identity map (profiles_cleaned, profile emails and phones), events and
    orders attributed to persons, behavior scores, and the enrichment step's inputs (declared labels,
    behavior features). The run's as_of and scoring.yml are passed as dbt vars."""
    yield from _build_with_vars(context, dbt, microseg)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select="path:models/enrichment/profiles_enriched.sql path:models/segments",
    dagster_dbt_translator=MicrosegTranslator(),
    pool=DUCKDB_POOL,
)
def enriched_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, microseg: MicrosegResource):
    """profiles_enriched (each attribute's chosen value with provenance and confidence, after the enrichment
    assets) and the relations segment rules read."""
    yield from _build_with_vars(context, dbt, microseg)
