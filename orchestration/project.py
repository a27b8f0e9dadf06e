"""The dbt project, as dagster-dbt sees it."""

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.constants import DBT_PROJECT_DIR

# dbt is installed beside this interpreter (.venv/bin): make it findable even when the venv is not
# activated (`.venv/bin/microseg run`, `make`, CI), for dagster-dbt's manifest preparer too.
_BIN = str(Path(sys.executable).parent)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()   # acts only under `dagster dev`; the CLI, Makefile and tests prepare explicitly
