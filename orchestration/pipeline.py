"""Run the whole pipeline in-process, as `make run` and `microseg run` do (the UI runs the same jobs)."""

from __future__ import annotations

import logging
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.constants import AS_OF_TAG, RECEIVED_DAYS, REPO_ROOT
from orchestration.lib.core import (
    FAILED_ASSETS,
    Settings,
    dagster_home_for,
    format_as_of,
    gate_entry,
    one_line,
    parse_as_of,
)
from orchestration.lib.ingest import TABLES, days_to_load, event_days, loaded_files, partition_runs, table_files

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
CONSOLE_LOGGER = "microseg_console"     # the one logger of an in-process run (console_logger)
# what Dagster's engine logs at INFO or above that the summary says better: steps not run behind a failure
ENGINE_NOISE = re.compile(r"^(Dependencies for step \S+ .*Not executing\.|Skipping step \S+ due to )", re.S)


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


def _error_of(event: dg.DagsterEvent):
    """The error of a STEP_FAILURE event: the user's exception, not Dagster's wrapper around it."""
    error = getattr(event.event_specific_data, "error", None)
    while error is not None and error.cls_name == "DagsterExecutionStepExecutionError" and error.cause:
        error = error.cause
    return error


def failure_of(event: dg.DagsterEvent) -> tuple[str, str | None, bool]:
    """A STEP_FAILURE in one line: (reason, the stack trace of an unexpected error else None, whether it is a
    failed blocking gate). An expected failure is a dg.Failure with a description: its reason is the
    description, no stack trace."""
    user = getattr(event.event_specific_data, "user_failure_data", None)
    error = _error_of(event)
    if user is not None and user.description:
        return one_line(user.description), None, False
    if error is None:
        return "failed", None, False
    if error.cls_name == "DagsterAssetCheckFailedError":
        return one_line(error.message), None, True
    return one_line(error.message), error.to_string(), False


def _named_assets(event: dg.DagsterEvent) -> list[dg.AssetKey]:
    """The assets a failure names itself (FAILED_ASSETS metadata, e.g. the model whose dbt test failed)."""
    user = getattr(event.event_specific_data, "user_failure_data", None)
    value = (user.metadata or {}).get(FAILED_ASSETS) if user is not None else None
    return [dg.AssetKey.from_user_string(k) for k in getattr(value, "value", value) or []]


def step_entities(job: dg.JobDefinition) -> dict[str, tuple[list[dg.AssetKey], list[dg.AssetCheckKey]]]:
    """Step key -> (its asset keys, its check keys), sorted."""
    return {ad.node_def.name: (sorted(ad.keys), sorted(ad.check_keys, key=lambda c: c.to_user_string()))
            for ad in job.asset_layer.asset_graph.assets_defs if ad.is_executable and ad.node_def is not None}


def entity_label(assets: list[dg.AssetKey], checks: list[dg.AssetCheckKey]) -> str:
    """What a step is called on the console and in the summary: its asset keys (or its checks), never its name."""
    names = [k.to_user_string() for k in assets]
    if len(names) > 3:
        return f"{', '.join(names[:2])} and {len(names) - 2} more"
    return ", ".join(names) or ", ".join(f"{c.name} on {c.asset_key.to_user_string()}" for c in checks)


class ConsoleHandler(logging.Handler):
    """`microseg run`'s console: the assets' own progress lines and warnings, each gate's verdict and each failure
    in one line, named by asset key. Dagster's engine events and dbt's output are debug (the run's event log in
    the UI keeps them; `verbose` prints them). Only an unexpected error prints its stack trace."""

    def __init__(self, labels: dict[str, str], verbose: bool, stream):
        super().__init__(logging.DEBUG)
        self.labels, self.verbose, self.stream = labels, verbose, stream
        self.failed_steps = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.render(record)
            if line:
                self.stream.write(line + "\n")
                self.stream.flush()
        except Exception:   # noqa: BLE001 - a console problem must never fail the run
            self.handleError(record)

    def render(self, record: logging.LogRecord) -> str | None:
        meta = getattr(record, "dagster_meta", None) or {}
        event, step = meta.get("dagster_event"), meta.get("step_key")
        label = self.labels.get(step, step) or meta.get("job_name") or "run"
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        message = meta.get("orig_message") or record.getMessage()
        if event is not None:
            line = self._event_line(event, label, message)
            return f"{stamp} {line}" if line else None
        if (record.levelno < logging.INFO or ENGINE_NOISE.match(message)) and not self.verbose:
            return None
        level = f"{record.levelname} " if record.levelno >= logging.WARNING else ""
        return f"{stamp} {level}{label}: {message}"

    def _event_line(self, event: dg.DagsterEvent, label: str, message: str) -> str | None:
        kind = event.event_type_value
        if kind == "STEP_FAILURE":
            self.failed_steps += 1
            reason, stack, gate = failure_of(event)
            named = _named_assets(event)
            label = entity_label(named, []) if named else label
            if gate and not self.verbose:
                return None           # its check evaluation said FAILED, with the expectations
            return f"FAILED {label}: {reason}" + (f"\n{stack}" if stack else "")
        if kind == "ASSET_CHECK_EVALUATION":
            ev = event.event_specific_data
            if ev.check_name.startswith("ge_") or not ev.passed:
                gate = gate_entry(ev.check_name, ev.asset_key.to_user_string(), ev.passed,
                                  {k: v.value for k, v in ev.metadata.items()})
                what = "gate" if gate["name"].startswith("ge_") else "check"
                verdict = "passed" if gate["passed"] else "FAILED"
                return (f"{gate['asset']}: {what} {gate['name']} {verdict}"
                        + (f" ({gate['detail']})" if gate["detail"] else ""))
        if kind == "RUN_FAILURE" and not self.failed_steps:
            return f"FAILED {label}: {message}"
        return f"{label}: {kind} {message}" if self.verbose else None


def console_logger(job: dg.JobDefinition, verbose: bool = False) -> dg.LoggerDefinition:
    """The console logger of an in-process run of `job` (ConsoleHandler on stderr)."""
    labels = {step: entity_label(*keys) for step, keys in step_entities(job).items()}

    @dg.logger(description="microseg run's console: progress, gates and failures, one line each")
    def microseg_console(_init_context) -> logging.Logger:
        log = logging.Logger("microseg.run", logging.DEBUG)
        log.addHandler(ConsoleHandler(labels, verbose, sys.stderr))
        return log

    return microseg_console


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
        named = _named_assets(event) or [k for k in assets if k not in done] or assets
        failed.update(named)
        outcome.failures.append({"asset": entity_label(named, checks) or event.step_key or "?", "reason": reason})
    outcome.not_materialized += sorted(k.to_user_string()
                                       for k in result.job_def.asset_layer.executable_asset_keys - done - failed)


def days_needing_load(settings: Settings) -> list[str]:
    """The received days of the landing folder whose files the warehouse does not hold as they are now."""
    present = event_days(settings.landing)
    loaded = {}
    if settings.warehouse.exists():
        with duckdb.connect(str(settings.warehouse), read_only=True) as con:
            loaded = loaded_files(con)
    return days_to_load(settings.landing, present, loaded)


def ingest_received_days(defs: dg.Definitions, settings: Settings, instance: dg.DagsterInstance, tags: dict,
                         outcome: RunOutcome, days: list[str] | None = None, verbose: bool = False) -> list[str]:
    """Run the events ingestion for every received day that is new or changed (or exactly `days`); returns them.

    One run per stretch of neighbouring partitions: the instance keeps days in the order they were added, so a
    late, older folder (or a day between two known days) is a run of its own, never an inverted or too-wide
    partition range."""
    todo = days_needing_load(settings) if days is None else sorted(days)
    if not todo:
        return []
    known = set(instance.get_dynamic_partitions(RECEIVED_DAYS))
    new = [d for d in todo if d not in known]
    if new:
        instance.add_dynamic_partitions(RECEIVED_DAYS, new)
    job = defs.resolve_job_def("ingest_events_job")
    for run_days in partition_runs(instance.get_dynamic_partitions(RECEIVED_DAYS), todo):
        execute(job, instance, {**tags, RANGE_START: run_days[0], RANGE_END: run_days[-1]}, outcome, verbose)
    return todo


def run_pipeline(settings: Settings, as_of: str, instance: dg.DagsterInstance | None = None,
                 days: list[str] | None = None, verbose: bool = False) -> RunOutcome:
    """Ingest every received day that is new or changed (or `days`), then refresh everything else, in-process;
    the console shows progress, gates and failures (`verbose`: Dagster's and dbt's debug lines too)."""
    from orchestration.definitions import build_defs

    defs = build_defs(settings)

    check_landing(settings.landing)
    instance = instance or warehouse_instance(settings)
    tags = {AS_OF_TAG: as_of}
    outcome = RunOutcome(as_of=as_of, success=True)
    ingest_received_days(defs, settings, instance, tags, outcome, days, verbose)
    execute(defs.resolve_job_def("refresh_job"), instance, tags, outcome, verbose)
    return outcome
