"""The run journal: which runs wrote the warehouse, with their as_of, start and end, outcome and steps.

One row per writing session (a `microseg run`, `microseg forget --now`, a run started in the UI, by a
schedule or a sensor), in `journal.runs` of the warehouse itself, so it is as queryable as the data it
describes:

    select run_id, command, as_of, started_at, ended_at, outcome, failed_at, steps_completed
    from journal.runs order by started_at desc

A session writes its row when it takes the run lock (outcome `running`) and completes it when it ends
(`succeeded` or `failed`). A row still `running` when the next session takes the lock is the trace of a run
that was killed; that session marks it `killed` with the steps it had completed and the step it died in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb

SCHEMA = "journal"
TABLE = f"{SCHEMA}.runs"
RUNNING, SUCCEEDED, FAILED, KILLED = "running", "succeeded", "failed", "killed"

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {TABLE} (
    run_id varchar primary key,      -- the session: a CLI command's own id, or the Dagster run id of a UI run
    command varchar,                 -- `microseg run`, `microseg forget`, `dagster refresh_job`, ...
    as_of varchar,
    pid integer,
    host varchar,
    started_at timestamptz,
    ended_at timestamptz,
    outcome varchar,                 -- running | succeeded | failed | killed
    steps_completed varchar[],       -- Dagster step keys, in the order they succeeded
    failed_at varchar,               -- the step that failed (or that a killed run was in)
    message varchar,
    dagster_runs varchar[]           -- the Dagster runs of the session (the UI's run history)
);
"""


@dataclass
class JournalEntry:
    run_id: str
    command: str
    as_of: str | None
    pid: int | None
    host: str | None
    started_at: datetime | None
    ended_at: datetime | None = None
    outcome: str = RUNNING
    steps_completed: list[str] = field(default_factory=list)
    failed_at: str | None = None
    message: str | None = None
    dagster_runs: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """`run 8391eb0d (microseg run, as_of 2026-11-01T00:00:00Z, started 2026-12-03 09:40:12) failed at
        identity/identity_map` - one line for the run summary."""
        started = self.started_at.strftime("%Y-%m-%d %H:%M:%S") if self.started_at else "?"
        as_of = f", as_of {self.as_of}" if self.as_of else ""
        head = f"run {self.run_id[:8]} ({self.command}{as_of}, started {started})"
        done = len(self.steps_completed)
        steps = f"{done} step{'s' if done != 1 else ''} completed"
        if self.outcome == SUCCEEDED:
            return f"{head} succeeded, {steps}"
        if self.outcome == FAILED:
            where = f" at {step_label(self.failed_at)}" if self.failed_at else ""
            return f"{head} failed{where}, {steps}"
        if self.outcome == KILLED:
            where = f" during {step_label(self.failed_at)}" if self.failed_at else ""
            return f"{head} was killed{where} (its process is gone), {steps}; repaired"
        return f"{head} is running"


def step_label(step_key: str | None) -> str:
    """A Dagster step key as the asset path users see: `identity__identity_map` -> `identity/identity_map`."""
    return (step_key or "").replace("__", "/")


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


_COLUMNS = ("run_id", "command", "as_of", "pid", "host", "started_at", "ended_at", "outcome",
            "steps_completed", "failed_at", "message", "dagster_runs")


def start(con: duckdb.DuckDBPyConnection, entry: JournalEntry) -> None:
    """Record a session that has just taken the run lock."""
    ensure(con)
    values = [getattr(entry, c) for c in _COLUMNS]
    con.execute(f"insert or replace into {TABLE} ({', '.join(_COLUMNS)}) values ({', '.join('?' * len(_COLUMNS))})",
                values)


def finish(con: duckdb.DuckDBPyConnection, run_id: str, outcome: str, ended_at: datetime,
           steps_completed: list[str], failed_at: str | None, message: str | None,
           dagster_runs: list[str]) -> None:
    """Complete the row of `run_id` (a killed run's too: outcome KILLED)."""
    ensure(con)
    con.execute(f"update {TABLE} set outcome = ?, ended_at = ?, steps_completed = ?, failed_at = ?, message = ?, "
                f"dagster_runs = ? where run_id = ?",
                [outcome, ended_at, steps_completed, failed_at, message, dagster_runs, run_id])


def entries(con: duckdb.DuckDBPyConnection, where: str = "true", params: list | None = None,
            limit: int | None = None) -> list[JournalEntry]:
    if not bool(con.execute("select count(*) from information_schema.tables where table_schema = ? and "
                            "table_name = 'runs'", [SCHEMA]).fetchall()[0][0]):
        return []
    sql = f"select {', '.join(_COLUMNS)} from {TABLE} where {where} order by started_at desc, run_id"
    if limit:
        sql += f" limit {int(limit)}"
    rows = con.execute(sql, params or []).fetchall()
    return [JournalEntry(**{c: (list(v) if c in ("steps_completed", "dagster_runs") and v is not None else v)
                            for c, v in zip(_COLUMNS, row)}) for row in rows]


def unfinished(con: duckdb.DuckDBPyConnection, except_run: str | None = None) -> list[JournalEntry]:
    """Sessions still `running`: under the run lock, every one but the lock holder's is a killed run."""
    return [e for e in entries(con, "outcome = ?", [RUNNING]) if e.run_id != except_run]


def previous(con: duckdb.DuckDBPyConnection, before: str | None = None) -> JournalEntry | None:
    """The latest session other than `before` (the current one)."""
    found = entries(con, "run_id <> ?", [before or ""], limit=1)
    return found[0] if found else None
