"""Run the whole pipeline in-process, as `make run` and `microseg run` do (the UI runs the same jobs)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from orchestration.constants import AS_OF_TAG, RECEIVED_DAYS, REPO_ROOT
from orchestration.lib.core import Settings, format_as_of, parse_as_of
from orchestration.lib.ingest import TABLES, event_days, table_files

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
# progress at INFO on the console (Dagster's default console level is DEBUG: one line per engine event)
RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


class LandingError(Exception):
    """The landing folder cannot be used at all (missing, or nothing the contract describes)."""


def check_landing(landing: Path) -> None:
    if not landing.exists():
        raise LandingError(f"landing folder {landing} does not exist (set MICROSEG_LANDING or --landing)")
    if not landing.is_dir():
        raise LandingError(f"landing folder {landing} is not a folder")
    has_events = bool(event_days(landing))
    has_tables = any(table_files(landing, spec) for spec in TABLES.values())
    if not (has_events or has_tables):
        raise LandingError(
            f"landing folder {landing} holds no input the contract describes: expected "
            "events/<YYYY-MM-DD>/*.jsonl[.gz], crm/contacts*.csv, orders/orders*.csv, "
            "orders/order_items*.csv, catalog/products*.csv or suppression/*.csv (or .parquet)")


def ensure_dagster_home() -> Path:
    """DAGSTER_HOME if set, else <repo>/.dagster_home, with our dagster.yaml (telemetry off, pools)."""
    home = Path(os.environ.get("DAGSTER_HOME") or REPO_ROOT / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def prepare_dbt() -> None:
    """Build the dbt manifest when it is missing (dagster dev does this itself)."""
    from orchestration.project import dbt_project

    if not dbt_project.manifest_path.exists():
        dbt_project.preparer.prepare(dbt_project)


def resolve_as_of(settings: Settings, explicit: str | None = None) -> str:
    value = explicit or settings.as_of
    moment = parse_as_of(value) if value else datetime.now(timezone.utc).replace(microsecond=0)
    return format_as_of(moment)


@dataclass
class RunOutcome:
    as_of: str
    success: bool
    runs: list[str] = field(default_factory=list)
    gates: list[dict] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    gate_metadata: dict[str, dict] = field(default_factory=dict)
    not_materialized: list[str] = field(default_factory=list)   # blocked by a failed gate or step upstream


def _collect(result: dg.ExecuteInProcessResult, outcome: RunOutcome) -> None:
    outcome.runs.append(result.run_id)
    outcome.success = outcome.success and result.success
    for ev in result.get_asset_check_evaluations():
        if ev.check_name.startswith("ge_"):
            metadata = {k: v.value for k, v in ev.metadata.items()}
            failed = [f"{f['expectation']}({f.get('column') or ''})" for f in metadata.get("failed_expectations") or []]
            outcome.gate_metadata[ev.check_name] = metadata
            outcome.gates.append({"name": ev.check_name, "asset": ev.asset_key.to_user_string(),
                                  "passed": ev.passed, "detail": ", ".join(failed)})
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            outcome.failed_steps.append(event.step_key or "?")
    done = {e.asset_key for e in result.get_asset_materialization_events()}
    outcome.not_materialized += sorted(k.to_user_string()
                                       for k in result.job_def.asset_layer.executable_asset_keys - done)


def run_pipeline(settings: Settings, as_of: str, instance: dg.DagsterInstance | None = None,
                 days: list[str] | None = None) -> RunOutcome:
    """Ingest every received day (one run), then refresh everything else (one run), in-process."""
    from orchestration.definitions import build_defs

    defs = build_defs(settings)

    check_landing(settings.landing)
    instance = instance or dg.DagsterInstance.get()
    tags = {AS_OF_TAG: as_of}
    outcome = RunOutcome(as_of=as_of, success=True)
    all_days = sorted(event_days(settings.landing)) if days is None else sorted(days)
    if all_days:
        known = set(instance.get_dynamic_partitions(RECEIVED_DAYS))
        new = [d for d in all_days if d not in known]
        if new:
            instance.add_dynamic_partitions(RECEIVED_DAYS, new)
        job = defs.resolve_job_def("ingest_events_job")
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config=RUN_CONFIG,
            tags={**tags, RANGE_START: all_days[0], RANGE_END: all_days[-1]})
        _collect(result, outcome)
    result = defs.resolve_job_def("refresh_job").execute_in_process(
        instance=instance, raise_on_error=False, run_config=RUN_CONFIG, tags=tags)
    _collect(result, outcome)
    return outcome
