"""The console of an in-process run (`microseg run`): each step named by its asset keys, each failure in one line.

The assets' own progress lines and warnings, each gate's verdict and each failure are printed; Dagster's engine
events and dbt's output are debug lines (the run's event log in the UI keeps them; `verbose` prints them). Only
an unexpected error prints its stack trace.
"""

from __future__ import annotations

import logging
import re
import sys
import time

import dagster as dg

from orchestration.lib.core import FAILED_ASSETS, gate_entry, one_line

CONSOLE_LOGGER = "microseg_console"     # the one logger of an in-process run (console_logger)
# what Dagster's engine logs at INFO or above that the summary says better: steps not run behind a failure
ENGINE_NOISE = re.compile(r"^(Dependencies for step \S+ .*Not executing\.|Skipping step \S+ due to )", re.S)


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


def named_assets(event: dg.DagsterEvent) -> list[dg.AssetKey]:
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
            named = named_assets(event)
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
