"""build_resources(): every resource the definitions use, from the user's settings (no side effects)."""

from __future__ import annotations

from orchestration.constants import SUITES_DIR
from orchestration.lib.core import Settings, dbt_env, duckdb_config, load_settings, thread_count
from orchestration.project import dbt_project
from orchestration.resources.enrichment import EnrichmentResource
from orchestration.resources.expectations import GreatExpectationsResource
from orchestration.resources.settings import MicrosegResource
from orchestration.resources.settings_fields import resource_values
from orchestration.resources.warehouse import WarehouseDbtResource, WarehouseResource, dbt_executable


def build_resources(settings: Settings | None = None) -> dict:
    settings = settings or load_settings()
    return {
        "dbt": WarehouseDbtResource(project_dir=dbt_project, dbt_executable=dbt_executable(),
                                    dbt_env=dbt_env(settings), warehouse=str(settings.warehouse),
                                    threads=thread_count(settings),
                                    run_wait=float(settings.run_wait)),
        "duckdb": WarehouseResource(database=str(settings.warehouse),
                                    connection_config=duckdb_config(settings),
                                    run_wait=float(settings.run_wait)),
        "microseg": MicrosegResource(**resource_values(settings, "microseg")),
        "enrichment": EnrichmentResource(**resource_values(settings, "enrichment")),
        "gx": GreatExpectationsResource(suites_dir=str(SUITES_DIR), data_docs_dir=str(settings.data_docs_dir)),
    }
