"""dbt run inside the run's own process: the project parsed once per process, each step one `dbt build`.

dagster-dbt starts a new dbt process for every step (Python start-up, dbt's imports, loading the partial parse,
an adapter handle of its own): about 4 s a step here before dbt does any work, and a run has six dbt steps.
dbt's programmatic API (`dbtRunner`) takes an already parsed manifest instead, so the steps of one process share
one parse and one set of imports; dagster-dbt still turns dbt's events into Dagster's (the same
`DbtCoreCliEventMessage.to_default_asset_events` it uses for its own process's JSON log lines), so the asset
materializations and the dbt tests' asset checks are exactly those of `DbtCliResource.cli(...).stream()`.

The parse keeps dbt's partial parsing between runs: it is done without the run's vars (they would invalidate it
every run, since `as_of` differs), and each build gets the run's vars, which dbt applies when it compiles a model.
dbt-duckdb keeps its DuckDB handle open after a command; it is closed after each build, so the step's own DuckDB
connections (a different configuration) and the erasure step's file rewrite never meet it.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import queue
import shutil
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster_dbt import DagsterDbtTranslator
from dagster_dbt.asset_utils import (
    DBT_INDIRECT_SELECTION_ENV,
    extract_runtime_selection_from_args,
    get_updated_cli_invocation_params_for_context,
)
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

# The parsed projects of this process: (target folder, project manifest's mtime) -> dbt's Manifest.
_PARSED: dict[tuple[str, int], Any] = {}
_LOCK = threading.Lock()          # dbt's programmatic API is not re-entrant: one command at a time per process


class _DagsterDbtInfoAtDebug(logging.Filter):
    """dagster-dbt's own info lines (the selection it passes, "not a subsetted execution") at debug."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and "dagster_dbt" in record.pathname:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


@contextmanager
def _dagster_dbt_info_at_debug():
    quiet, dagster_logger = _DagsterDbtInfoAtDebug(), logging.getLogger("dagster.builtin")
    dagster_logger.addFilter(quiet)
    try:
        yield
    finally:
        dagster_logger.removeFilter(quiet)


class DbtCommandError(Exception):
    """dbt could not run the command at all (a compilation error, a missing relation, ...)."""

    def __init__(self, description: str):
        super().__init__(description)
        self.description = description


def _common_args(project_dir: Path, profiles_dir: Path, target: Path) -> list[str]:
    # dbt's own console output is off: every event reaches the step's log (at debug) through the callback
    return ["--project-dir", str(project_dir), "--profiles-dir", str(profiles_dir),
            "--target-path", str(target), "--log-path", str(target), "--log-level", "none",
            "--log-level-file", "debug"]


def close_dbt_connections() -> None:
    """Close the DuckDB handle dbt-duckdb keeps for the process (reopened by the next dbt command)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
        DuckDBConnectionManager.close_all_connections()


def parsed_project(project_dir: Path, profiles_dir: Path, target: Path, seed_from: Path | None = None):
    """dbt's Manifest of the project for warehouse target folder `target`, parsed once per process (dbt's
    partial parsing from `target`'s partial_parse.msgpack, seeded from `seed_from`'s when the folder is new)."""
    from dbt.cli.main import dbtRunner

    manifest_file = Path(project_dir) / "target" / "manifest.json"
    key = (str(target), manifest_file.stat().st_mtime_ns if manifest_file.exists() else 0)
    if key in _PARSED:
        return _PARSED[key]
    target.mkdir(parents=True, exist_ok=True)
    seed = (seed_from or Path(project_dir) / "target") / "partial_parse.msgpack"
    if not (target / "partial_parse.msgpack").exists() and seed.exists():
        shutil.copy(seed, target / "partial_parse.msgpack")
    errors: list[str] = []
    result = dbtRunner(callbacks=[_collect_errors(errors)]).invoke(
        ["parse", *_common_args(project_dir, profiles_dir, target)])
    close_dbt_connections()
    if not result.success:
        raise DbtCommandError("dbt parse failed: " + ("; ".join(errors) or str(result.exception)))
    _PARSED.clear()                 # one parsed project kept at a time: a long-lived process (tests) stays small
    _PARSED[key] = result.result
    return result.result


def _collect_errors(errors: list[str]):
    def collect(event) -> None:
        if event.info.level == "error" and event.info.msg:
            errors.append(str(event.info.msg))
    return collect


@dataclass
class InProcessInvocation:
    """One `dbt build` in this process: what dagster-dbt's DbtCliInvocation offers the steps (stream,
    get_artifact, get_error, manifest, dbt_command)."""

    args: list[str]
    manifest: Mapping[str, Any]
    translator: DagsterDbtTranslator
    context: Any
    target_path: Path
    project: Any
    project_dir: Path
    profiles_dir: Path
    parsed: Any
    indirect_selection: str | None = None
    log: Any = None
    _error: Exception | None = field(default=None, init=False)

    @property
    def dbt_command(self) -> str:
        return "dbt " + " ".join(self.args)

    def stream(self) -> Iterator[Any]:
        """Run the command (in a thread, so each model's materialization reaches Dagster as it finishes) and
        yield dagster-dbt's events for it; dbt's messages go to `log` at debug."""
        from dbt.cli.main import dbtRunner
        from dbt_common.events.functions import msg_to_dict

        events: queue.Queue = queue.Queue()
        done = object()
        errors: list[str] = []

        def on_event(event) -> None:
            events.put(msg_to_dict(event))

        def run() -> None:
            try:
                with _indirect_selection(self.indirect_selection):
                    runner = dbtRunner(manifest=self.parsed, callbacks=[on_event])
                    result = runner.invoke([*self.args, *_common_args(self.project_dir, self.profiles_dir,
                                                                      self.target_path)])
                if not result.success:
                    self._error = DbtCommandError(
                        "dbt build failed" + (f": {result.exception}" if result.exception else ""))
            except BaseException as exc:   # noqa: BLE001 - reported as the step's failure below
                self._error = DbtCommandError(f"dbt build failed: {type(exc).__name__}: {exc}")
            finally:
                close_dbt_connections()
                events.put(done)

        with _LOCK, _collector_in_this_thread():
            worker = threading.Thread(target=run, name="dbt-build", daemon=True)
            worker.start()
            while (raw := events.get()) is not done:
                if raw.get("info", {}).get("level") == "error" and raw["info"].get("msg"):
                    errors.append(str(raw["info"]["msg"]))
                if self.log is not None and _worth_logging(raw):
                    self.log.debug(str(raw["info"]["msg"]))
                yield from DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={}).to_default_asset_events(
                    manifest=self.manifest, dagster_dbt_translator=self.translator, context=self.context,
                    target_path=self.target_path, project=self.project)
            worker.join()
        if self._error is not None and errors:
            self._error = DbtCommandError(f"{self._error.description}\n\nErrors parsed from dbt logs:\n"
                                          + "\n".join(errors))

    def get_error(self) -> Exception | None:
        return self._error

    def get_artifact(self, name: str) -> dict:
        return json.loads((self.target_path / name).read_text())


# What of dbt's events the step's log keeps: warnings and errors. Every log line is an event in the Dagster instance
# (a few ms each); a build has thousands of dbt events, all in <target>/dbt.log, and the step's own summary line.
def _worth_logging(raw: Mapping[str, Any]) -> bool:
    info = raw.get("info", {})
    return bool(info.get("msg")) and info.get("level") in ("warn", "error")


@contextmanager
def _collector_in_this_thread():
    """Python's cyclic garbage collector off while dbt's threads run, then run here. A collection started in one
    of dbt's threads would finalize objects of this thread there: a SQLite connection of the Dagster instance,
    reset from another thread, prints a traceback on the console (sqlalchemy's `_finalize_fairy`)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            gc.collect()


@contextmanager
def _indirect_selection(value: str | None):
    """DBT_INDIRECT_SELECTION for one command (dagster-dbt's way of running only the selected asset checks)."""
    before = os.environ.get(DBT_INDIRECT_SELECTION_ENV)
    if value:
        os.environ[DBT_INDIRECT_SELECTION_ENV] = value
    try:
        yield
    finally:
        if value:
            if before is None:
                os.environ.pop(DBT_INDIRECT_SELECTION_ENV, None)
            else:
                os.environ[DBT_INDIRECT_SELECTION_ENV] = before


def build_in_process(args: Sequence[str], *, context, project_dir: Path, profiles_dir: Path, target: Path,
                     seed_from: Path | None = None, log=None) -> InProcessInvocation:
    """`dbt <args>` for the assets of `context` (dagster-dbt's selection of the step's subset), in this
    process, on the project parsed for `target` (parsed_project)."""
    cleaned, selects, excludes = extract_runtime_selection_from_args(list(args))
    # as DbtCliResource.cli does: the step's manifest, translator and selection come from its assets definition
    with _dagster_dbt_info_at_debug():
        params = get_updated_cli_invocation_params_for_context(
            context=context, manifest={}, dagster_dbt_translator=DagsterDbtTranslator(),
            runtime_selects=selects, runtime_excludes=excludes)
    parsed = parsed_project(project_dir, profiles_dir, target, seed_from)
    return InProcessInvocation(
        args=[*cleaned, *params.selection_args], manifest=params.manifest, translator=params.dagster_dbt_translator,
        context=context, target_path=target, project=params.dbt_project, project_dir=project_dir,
        profiles_dir=profiles_dir, parsed=parsed, indirect_selection=params.indirect_selection, log=log)
