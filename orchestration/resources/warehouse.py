"""The warehouse as Dagster resources: DuckDB for Python assets, dbt for the models, both on the same file.

Nothing happens when they are built (importing the definitions has no side effects): the warehouse's folder
is created, and dbt's profile variables are set, when a run first uses them. A run's resources hold the
warehouse's writing session (run lock, repair, journal: orchestration/run_session.py) for the whole run, which
is one process (the in-process executor); a run the CLI started shares the CLI's session.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

from dagster import InitResourceContext
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from orchestration.run_session import dagster_run_session


def dbt_executable() -> str:
    """The venv's dbt next to this interpreter, so nothing depends on an activated shell."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


class WarehouseResource(DuckDBResource):
    """DuckDB on the warehouse file; its folder is created when a run first opens it. `run_wait`: how long a
    run waits for another run on the same warehouse (seconds)."""

    run_wait: float = 3600.0

    @contextlib.contextmanager
    def yield_for_execution(self, context: InitResourceContext):
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        with dagster_run_session(context, Path(self.database), self.run_wait), \
                super().yield_for_execution(context) as value:
            yield value


class WarehouseDbtResource(DbtCliResource):
    """dbt on the warehouse file: `dbt_env` (MICROSEG_WAREHOUSE and the DuckDB limits, which
    dbt_project/profiles.yml reads) is set when a command runs, not at import. The pipeline's steps run dbt in
    the run's own process (`build`); `cli` is dagster-dbt's, a dbt process of its own."""

    dbt_env: dict[str, str] = {}
    warehouse: str = ""
    threads: int = 1
    run_wait: float = 3600.0

    @contextlib.contextmanager
    def yield_for_execution(self, context: InitResourceContext):
        if not self.warehouse:
            with super().yield_for_execution(context) as value:
                yield value
            return
        with dagster_run_session(context, Path(self.warehouse), self.run_wait), \
                super().yield_for_execution(context) as value:
            yield value

    def cli(self, args, **kwargs):
        os.environ.update(self.dbt_env)
        return super().cli(args, **kwargs)

    def build(self, args, *, context, target: Path):
        """`dbt <args>` for `context`'s assets in this process (orchestration/resources/dbt_in_process.py),
        with the warehouse target folder `target` and `threads` dbt threads; returns the invocation to stream."""
        from orchestration.resources.dbt_in_process import build_in_process

        os.environ.update(self.dbt_env)
        return build_in_process([*args, "--threads", str(self.threads)], context=context,
                                project_dir=Path(self.project_dir), profiles_dir=Path(self.profiles_dir or self.project_dir),
                                target=target, log=context.log)
