"""The warehouse as Dagster resources: DuckDB for Python assets, dbt for the models, both on the same file.

Nothing happens when they are built (importing the definitions has no side effects): the warehouse's folder
is created, and dbt's profile variables are set, when a run first uses them.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from dagster import InitResourceContext
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource


def dbt_executable() -> str:
    """The venv's dbt next to this interpreter, so nothing depends on an activated shell."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


class WarehouseResource(DuckDBResource):
    """DuckDB on the warehouse file; its folder is created when a run first opens it."""

    def setup_for_execution(self, context: InitResourceContext) -> None:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        super().setup_for_execution(context)


class WarehouseDbtResource(DbtCliResource):
    """dbt on the warehouse file: `dbt_env` (MICROSEG_WAREHOUSE, MICROSEG_DUCKDB_MEMORY_LIMIT, which
    dbt_project/profiles.yml reads) is set for the dbt process when a command runs, not at import."""

    dbt_env: dict[str, str] = {}

    def cli(self, args, **kwargs):
        os.environ.update(self.dbt_env)
        return super().cli(args, **kwargs)
