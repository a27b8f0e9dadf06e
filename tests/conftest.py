import os
from pathlib import Path

import pytest

from tests.helpers import world as _world
from tests.helpers.landing import Landing

os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest():
    """prepare_if_dev() is a no-op outside `dagster dev`: build the manifest once per session."""
    from orchestration.project import prepare_manifest

    prepare_manifest()


@pytest.fixture
def landing(tmp_path) -> Landing:
    return Landing(tmp_path / "landing")


@pytest.fixture
def warehouse(tmp_path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture(scope="session")
def generated_world(tmp_path_factory) -> _world.World:
    """The session's generated landing folder (tests/helpers/world.py): read it, never change it."""
    return _world.generate_world(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="session")
def pipeline_world(generated_world) -> _world.PipelineWorld:
    """The world after one full pipeline run (slow tests only): read it, never change it."""
    return _world.run_pipeline_world(generated_world)


@pytest.fixture
def pipeline_world_copy(pipeline_world, tmp_path) -> _world.PipelineWorld:
    """A private copy of the pipeline world (landing, warehouse, reports, review, fresh instance) to change."""
    return _world.copy_pipeline_world(pipeline_world, tmp_path / "world")
