"""The dbt project, as dagster-dbt sees it."""

from dagster_dbt import DbtProject

from orchestration.constants import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()   # acts only under `dagster dev`; the CLI, Makefile and tests prepare explicitly
