"""The Dagster definitions: wiring only."""

import dagster as dg

from orchestration.assets import dbt, enrichment, erasure, identity, ingest, reporting, segments
from orchestration.checks import gates
from orchestration.jobs import build_jobs
from orchestration.lib.core import Settings, load_settings
from orchestration.resources import build_resources
from orchestration.run_session import WAREHOUSE_TAG, warehouse_tag
from orchestration.schedules import ALL_SCHEDULES
from orchestration.sensors import ALL_SENSORS


def build_defs(settings: Settings | None = None) -> dg.Definitions:
    """The definitions bound to `settings` (default: microseg.yml + MICROSEG_* env vars).

    Runs use the in-process executor: a run is one process, which holds the warehouse's run lock from its
    first step to its last (and is 4x faster here than a process per step: STYLE.md)."""
    settings = settings or load_settings()
    segment_assets, segment_gates = segments.build_segment_assets(settings.segments)
    return dg.Definitions(
        assets=[*dg.load_assets_from_modules([ingest, dbt, identity, erasure, enrichment, reporting]), *segment_assets],
        asset_checks=[*dg.load_asset_checks_from_modules([gates]), *segment_gates],
        jobs=build_jobs({WAREHOUSE_TAG: warehouse_tag(settings.warehouse)}),
        executor=dg.in_process_executor,
        schedules=ALL_SCHEDULES,
        sensors=ALL_SENSORS,
        resources=build_resources(settings),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What Dagster loads (workspace.yaml: `dagster dev`, `microseg ui`): the definitions of microseg.yml and the
    MICROSEG_* env vars, built when Dagster loads them, never at import (a `microseg run` builds its own once)."""
    return build_defs()
