"""The dbt project, as dagster-dbt sees it."""

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.constants import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()   # acts only under `dagster dev` (make ui puts the venv on PATH)


def prepare_manifest(force: bool = False) -> Path:
    """Build dbt's manifest (`dbt parse`) unless it exists: the CLI, the Makefile and the tests call this;
    `dagster dev` prepares it itself. dagster-dbt's preparer runs `dbt` from PATH, so the venv's bin folder
    (beside this interpreter) is put on PATH for that, whether or not the venv is activated."""
    if force or not dbt_project.manifest_path.exists():
        venv_bin = str(Path(sys.executable).parent)
        if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")
        dbt_project.preparer.prepare(dbt_project)
    return dbt_project.manifest_path
