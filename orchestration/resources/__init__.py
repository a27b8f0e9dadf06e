"""build_resources(): every resource the definitions use, from the user's settings."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from orchestration.constants import SUITES_DIR
from orchestration.lib.core import Settings, load_settings
from orchestration.project import dbt_project
from orchestration.resources.enrichment import EnrichmentResource
from orchestration.resources.expectations import GreatExpectationsResource
from orchestration.resources.settings import MicrosegResource


def dbt_executable() -> str:
    """The venv's dbt next to this interpreter, so nothing depends on an activated shell."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def build_resources(settings: Settings | None = None) -> dict:
    settings = settings or load_settings()
    settings.export_env()   # dbt's profiles.yml reads MICROSEG_WAREHOUSE
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    return {
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
        "duckdb": DuckDBResource(database=str(settings.warehouse),
                                 connection_config={"memory_limit": settings.duckdb_memory_limit}),
        "microseg": MicrosegResource(landing=str(settings.landing), reports=str(settings.reports),
                                     as_of=settings.as_of,
                                     future_tolerance_hours=settings.future_tolerance_hours,
                                     auto_merge_threshold=settings.auto_merge_threshold,
                                     review_threshold=settings.review_threshold,
                                     max_cluster_size=settings.max_cluster_size,
                                     review=str(settings.review), scoring=str(settings.scoring),
                                     segment_max_change=settings.segment_max_change,
                                     segment_change_min_members=settings.segment_change_min_members),
        "enrichment": EnrichmentResource(provider=settings.enrichment_provider,
                                         http=json.dumps(settings.enrichment_http or {}),
                                         cache_ttl_days=settings.enrichment_cache_ttl_days,
                                         inference_min_confidence=settings.inference_min_confidence,
                                         coverage_max_drop=settings.enrichment_coverage_max_drop),
        "gx": GreatExpectationsResource(suites_dir=str(SUITES_DIR), data_docs_dir=str(settings.data_docs_dir)),
    }
