"""Run the whole pipeline in-process, as `make run` and `microseg run` do (the UI runs the same jobs)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from orchestration.constants import AS_OF_TAG, FULL_REFRESH_TAG, RECEIVED_DAYS, REPO_ROOT
from orchestration.jobs import INGEST_EVENTS_JOB, REFRESH_JOB
from orchestration.lib.core import (
    Settings,
    dagster_home_for,
    duckdb_config,
    format_as_of,
    gate_entry,
    parse_as_of,
)
from orchestration.lib.ingest import (
    TABLES,
    days_to_load,
    event_days,
    loaded_files,
    partition_runs,
    table_files,
)
from orchestration.run_console import (
    CONSOLE_LOGGER,
    console_logger,
    entity_label,
    failure_of,
    named_assets,
    step_entities,
)

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


class SetupError(Exception):
    """The run cannot start: a folder it needs is missing or unusable (the message says which and why)."""


class LandingError(SetupError):
    """The landing folder cannot be used at all (missing, or nothing the contract describes)."""


def check_segments(folder: Path) -> None:
    if not folder.is_dir():
        raise SetupError(f"segment folder {folder} does not exist (setting `segments` in microseg.yml, or "
                         "MICROSEG_SEGMENTS): create it, or point the setting at your segment YAML files")


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


def ensure_dagster_home(settings: Settings) -> Path:
    """The Dagster instance folder of this warehouse (dagster_home_for), created with our dagster.yaml (telemetry
    off, pools, no first-visit modal) if new."""
    home = dagster_home_for(settings)
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    return home


def warehouse_instance(settings: Settings) -> dg.DagsterInstance:
    """The persistent Dagster instance of this warehouse (never another warehouse's run history)."""
    return dg.DagsterInstance.from_config(str(ensure_dagster_home(settings)))


def prepare_dbt() -> None:
    """Build the dbt manifest when it is missing (dagster dev does this itself)."""
    from orchestration.project import prepare_manifest

    prepare_manifest()


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
    failures: list[dict] = field(default_factory=list)  # {asset, reason}: each failed step; failed gates: `gates`
    gate_metadata: dict[str, dict] = field(default_factory=dict)
    not_materialized: list[str] = field(default_factory=list)   # blocked by a failed gate or step upstream


def execute(job: dg.JobDefinition, instance: dg.DagsterInstance, tags: dict, outcome: RunOutcome,
            verbose: bool = False) -> dg.ExecuteInProcessResult:
    """Run `job` in-process with the console logger, and add what happened to `outcome`."""
    result = job.with_logger_defs({CONSOLE_LOGGER: console_logger(job, verbose)}).execute_in_process(
        instance=instance, raise_on_error=False, run_config={"loggers": {CONSOLE_LOGGER: {}}}, tags=tags)
    _collect(result, outcome)
    return result


def _collect(result: dg.ExecuteInProcessResult, outcome: RunOutcome) -> None:
    outcome.runs.append(result.run_id)
    outcome.success = outcome.success and result.success
    for ev in result.get_asset_check_evaluations():
        if ev.check_name.startswith("ge_"):
            metadata = {k: v.value for k, v in ev.metadata.items()}
            outcome.gate_metadata[ev.check_name] = metadata
            outcome.gates.append(gate_entry(ev.check_name, ev.asset_key.to_user_string(), ev.passed, metadata))
    done = {e.asset_key for e in result.get_asset_materialization_events()}
    steps, failed = step_entities(result.job_def), set()
    for event in result.all_events:
        if event.event_type_value != "STEP_FAILURE":
            continue
        reason, _, gate = failure_of(event)
        if gate:
            continue                  # a failed gate: its FAILED line with the expectations is in outcome.gates
        assets, checks = steps.get(event.step_key or "", ([], []))
        named = named_assets(event) or [k for k in assets if k not in done] or assets
        failed.update(named)
        outcome.failures.append({"asset": entity_label(named, checks) or event.step_key or "?", "reason": reason})
    outcome.not_materialized += sorted(k.to_user_string()
                                       for k in result.job_def.asset_layer.executable_asset_keys - done - failed)


def days_needing_load(settings: Settings, every_day: bool = False) -> list[str]:
    """The received days of the landing folder whose files the warehouse does not hold as they are now
    (`every_day`: every day of the landing folder and of the warehouse, to be loaded again)."""
    present = event_days(settings.landing)
    from orchestration.lib.warehouse import WarehouseMissing, open_for_reading

    loaded = {}
    try:
        with open_for_reading(settings.warehouse, timeout_s=float(settings.read_wait)) as con:   # within a run: at once
            loaded = loaded_files(con)
    except WarehouseMissing:
        pass                                                                                   # nothing loaded yet
    if every_day:
        return sorted(set(present) | set(loaded))
    return days_to_load(settings.landing, present, loaded)


def ingest_received_days(defs: dg.Definitions, settings: Settings, instance: dg.DagsterInstance, tags: dict,
                         outcome: RunOutcome, days: list[str] | None = None, verbose: bool = False,
                         every_day: bool = False) -> list[str]:
    """Run the events ingestion for every received day that is new or changed (or exactly `days`, or with
    `every_day` all of them); returns them.

    One run per stretch of neighbouring partitions: the instance keeps days in the order they were added, so a
    late, older folder (or a day between two known days) is a run of its own, never an inverted or too-wide
    partition range."""
    todo = days_needing_load(settings, every_day) if days is None else sorted(days)
    if not todo:
        return []
    known = set(instance.get_dynamic_partitions(RECEIVED_DAYS))
    new = [d for d in todo if d not in known]
    if new:
        instance.add_dynamic_partitions(RECEIVED_DAYS, new)
    job = defs.resolve_job_def(INGEST_EVENTS_JOB)
    for run_days in partition_runs(instance.get_dynamic_partitions(RECEIVED_DAYS), todo):
        execute(job, instance, {**tags, RANGE_START: run_days[0], RANGE_END: run_days[-1]}, outcome, verbose)
    return todo


def writing_session_for(settings: Settings, command: str, instance: dg.DagsterInstance, as_of: str | None = None,
                        wait: bool = True, timeout_s: float | None = None, say=None):
    """`settings`' warehouse held for writing (run lock, repair, journal: orchestration/run_session.py)."""
    from orchestration.run_session import writing_session

    return writing_session(settings.warehouse, command, instance, as_of=as_of, wait=wait,
                           timeout_s=float(settings.run_wait if timeout_s is None else timeout_s), say=say,
                           config=duckdb_config(settings))


def run_pipeline(settings: Settings, as_of: str, instance: dg.DagsterInstance | None = None,
                 days: list[str] | None = None, verbose: bool = False, say=None,
                 full_refresh: bool = False) -> RunOutcome:
    """Ingest every received day that is new or changed (or `days`), then refresh everything else, in-process,
    in one writing session (the caller's, when it holds one); the console shows progress, gates and failures
    (`verbose`: Dagster's and dbt's debug lines too). By default the refresh is incremental (dbt's incremental
    models stage what the loads since the last run touched); `full_refresh` loads every received day again and
    rebuilds them from all of raw (the run tag FULL_REFRESH_TAG)."""
    from orchestration.definitions import build_defs

    check_landing(settings.landing)
    check_segments(settings.segments)
    defs = build_defs(settings)
    instance = instance or warehouse_instance(settings)
    outcome = RunOutcome(as_of=as_of, success=True)
    with writing_session_for(settings, "microseg run", instance, as_of, say=say) as session:
        tags = {AS_OF_TAG: as_of, **session.run_tags(), **({FULL_REFRESH_TAG: "true"} if full_refresh else {})}
        ingest_received_days(defs, settings, instance, tags, outcome, days, verbose, every_day=full_refresh)
        execute(defs.resolve_job_def(REFRESH_JOB), instance, tags, outcome, verbose)
    return outcome
