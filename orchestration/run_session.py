"""A writing session on a warehouse: the run lock, the repair of what a killed run left, the journal row.

Every writing entry point runs inside one: `microseg run` and `microseg forget` around all their Dagster runs,
and a run launched by the UI, a schedule or a sensor from its resources (orchestration/resources/warehouse.py).
Sessions nest within a process: the resources of a run the CLI started share the CLI's session. A new command
that writes the warehouse (the ESP sync, journeys) opens one too: `pipeline.writing_session_for`.

At the start, under the exclusive lock (so no other process writes this warehouse), the session
- drops the temporary relations a killed step left (lib/warehouse/leftovers.py) and a compaction's unfinished
  copy of the file,
- marks failed the Dagster runs of this warehouse whose process is gone, and frees the concurrency slots and
  pending steps they held (a dead run's slot would otherwise stall every later run),
- marks `killed` the journal rows still `running`, with the steps they completed and the one they died in.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from orchestration.constants import AS_OF_TAG
from orchestration.lib.warehouse import (
    Lease,
    acquire_exclusive,
    drop_leftovers,
    held_here,
    journal,
    open_for_writing,
)

Say = Callable[[str], None]
WAREHOUSE_TAG = "microseg/warehouse"   # every run of a warehouse: the run queue's per-warehouse limit
SESSION_TAG = "microseg/session"       # the journal row a Dagster run belongs to
PID_TAG = "microseg/pid"
HOST_TAG = "microseg/host"
NO_PID_GRACE_S = 300                   # a run without a pid tag this old never got a process: dead
IN_PROGRESS = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.CANCELING]


def warehouse_tag(warehouse: Path) -> str:
    return str(Path(warehouse).resolve())


@dataclass
class Session:
    run_id: str
    warehouse: Path
    lease: Lease
    previous: journal.JournalEntry | None = None
    repairs: list[str] = field(default_factory=list)

    @property
    def reentered(self) -> bool:
        return self.lease.reentered

    def run_tags(self) -> dict[str, str]:
        """The tags of every Dagster run of this session."""
        return {WAREHOUSE_TAG: warehouse_tag(self.warehouse), SESSION_TAG: self.run_id,
                PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


_CURRENT: dict[str, Session] = {}


@contextmanager
def writing_session(warehouse: Path, command: str, instance: dg.DagsterInstance, *, as_of: str | None = None,
                    run_id: str | None = None, wait: bool = True, timeout_s: float = 3600.0,
                    say: Say | None = None, config: dict | None = None) -> Iterator[Session]:
    """Hold `warehouse` for writing for the `with` block (waiting for another run up to `timeout_s`, or not at
    all with `wait=False`: LockTimeout), repaired and journaled; nested within a process, the outer session."""
    warehouse = Path(warehouse)
    key = warehouse_tag(warehouse)
    run_id = run_id or uuid.uuid4().hex
    lease = acquire_exclusive(warehouse, run_id, command, timeout_s=timeout_s, wait=wait, say=say)
    if lease.reentered:
        try:
            yield _CURRENT[key]
        finally:
            lease.release()
        return
    session = Session(run_id=run_id, warehouse=warehouse, lease=lease)
    _CURRENT[key] = session
    try:
        if lease.took_over is not None:
            session.repairs.append(f"took over the run lock of {lease.took_over.describe()}, whose process is gone")
        session.repairs += _remove_partial_files(warehouse)
        with open_for_writing(warehouse, timeout_s=timeout_s, say=say, config=config) as con:
            session.repairs += _repair(con, instance, key, run_id)
            session.previous = journal.previous(con, before=run_id)
            journal.start(con, journal.JournalEntry(
                run_id=run_id, command=command, as_of=as_of, pid=os.getpid(), host=socket.gethostname(),
                started_at=datetime.now(timezone.utc).replace(microsecond=0)))
        if say is not None:
            for line in session.repairs:
                say(f"repair: {line}")
        failure: str | None = None
        try:
            yield session
        except BaseException as exc:
            failure = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            _finish(session, instance, failure, timeout_s, config)
    finally:
        _CURRENT.pop(key, None)
        lease.release()


@contextmanager
def dagster_run_session(context: dg.InitResourceContext, warehouse: Path, timeout_s: float) -> Iterator[Session | None]:
    """The session of a Dagster run (a run resource's lifetime): none outside a run, the CLI's when the CLI
    started it; otherwise its own, named by the run id, tagged on the run so repair and the journal find it."""
    instance, run = context.instance, context.dagster_run
    if instance is None or run is None or held_here(warehouse) is not None:
        yield None
        return
    session_tags = {SESSION_TAG: run.run_id, PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
    instance.add_run_tags(run.run_id, session_tags)
    say = context.log.info if context.log is not None else None
    with writing_session(warehouse, f"dagster {run.job_name}", instance, as_of=run.tags.get(AS_OF_TAG),
                         run_id=run.run_id, timeout_s=timeout_s, say=say) as session:
        yield session


def _finish(session: Session, instance: dg.DagsterInstance, failure: str | None, timeout_s: float,
            config: dict | None) -> None:
    completed, failed, running, runs = session_steps(instance, session.run_id)
    outcome = journal.FAILED if (failure or failed) else journal.SUCCEEDED
    with open_for_writing(session.warehouse, timeout_s=timeout_s, config=config) as con:
        journal.finish(con, session.run_id, outcome, datetime.now(timezone.utc).replace(microsecond=0),
                       completed, (failed or running or [None])[0], failure, runs)


def session_steps(instance: dg.DagsterInstance, session_id: str) -> tuple[list[str], list[str], list[str], list[str]]:
    """(steps completed, steps failed, steps started but neither, Dagster run ids) of a session's runs."""
    records = instance.get_run_records(dg.RunsFilter(tags={SESSION_TAG: session_id}), ascending=True)
    completed, failed, started = [], [], []
    for record in records:
        for entry in instance.all_logs(record.dagster_run.run_id, of_type={
                dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}):
            event = entry.dagster_event
            if event is None or not event.step_key:
                continue
            if event.event_type == dg.DagsterEventType.STEP_START:
                started.append(event.step_key)
            elif event.event_type == dg.DagsterEventType.STEP_SUCCESS:
                completed.append(event.step_key)
            else:
                failed.append(event.step_key)
    running = [s for s in started if s not in completed and s not in failed]
    return completed, failed, running, [r.dagster_run.run_id for r in records]


def _remove_partial_files(warehouse: Path) -> list[str]:
    """The half-written copy of a compaction a killed run left beside the warehouse (never the warehouse)."""
    done = []
    for leftover in (warehouse.with_name(warehouse.name + ".compacting"),
                     warehouse.with_name(warehouse.name + ".compacting.wal")):
        if leftover.exists():
            leftover.unlink()
            done.append(f"removed {leftover.name}, a compaction a killed run left unfinished")
    return done


def _repair(con, instance: dg.DagsterInstance, key: str, run_id: str) -> list[str]:
    done = [f"dropped {name}, left by a killed step" for name in drop_leftovers(con)]
    done += _fail_dead_runs(instance, key, run_id)
    for entry in journal.unfinished(con, except_run=run_id):
        completed, failed, running, runs = session_steps(instance, entry.run_id)
        journal.finish(con, entry.run_id, journal.KILLED, datetime.now(timezone.utc).replace(microsecond=0),
                       completed, (running or failed or [None])[0], "its process is gone", runs)
        where = f" during {journal.step_label(running[0])}" if running else ""
        done.append(f"run {entry.run_id[:8]} ({entry.command}) was killed{where}: marked killed in the journal")
    return done


def _process_gone(run: dg.DagsterRun, age_s: float) -> bool:
    pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
    if pid is None:
        return age_s > NO_PID_GRACE_S
    if host and host != socket.gethostname():
        return False                      # another machine's process: not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False


def _fail_dead_runs(instance: dg.DagsterInstance, key: str, run_id: str) -> list[str]:
    """Mark failed the in-progress Dagster runs of this warehouse whose process is gone, and free the
    concurrency slots and pending steps of every run that is not in progress or is dead.

    Called under the exclusive run lock: a live run of this warehouse is at most waiting for that lock, before
    its first step, so it holds no slot. A run of this warehouse holding one is dead even if its pid was
    reused. Runs without our warehouse tag (older versions) count as this warehouse's: the instance is the
    warehouse's own unless DAGSTER_HOME says otherwise."""
    storage = instance.event_log_storage
    holders: dict[str, set[str]] = {}
    for pool in sorted(storage.get_concurrency_keys()):
        info = storage.get_concurrency_info(pool)
        for slot in [*info.claimed_slots, *info.pending_steps]:
            holders.setdefault(slot.run_id, set()).add(pool)
    done, now, live = [], datetime.now(timezone.utc).timestamp(), set()
    for record in instance.get_run_records(dg.RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        tag = run.tags.get(WAREHOUSE_TAG)
        ours = tag is None or tag == key
        if not ours or run.tags.get(SESSION_TAG) == run_id:
            live.add(run.run_id)
            continue
        age = now - (record.update_timestamp or record.create_timestamp).timestamp()
        if not (run.run_id in holders or _process_gone(run, age)):
            live.add(run.run_id)
            continue
        pid = run.tags.get(PID_TAG, "?")
        instance.report_run_failed(run, message=f"its process (pid {pid}) is gone: marked failed by the next run "
                                                f"on {key} (session {run_id[:8]})")
        done.append(f"Dagster run {run.run_id[:8]} ({run.job_name}) had no process left: marked failed")
    for stale in sorted(set(holders) - live):
        storage.free_concurrency_slots_for_run(stale)
        pools = ", ".join(sorted(holders[stale]))
        done.append(f"freed the {pools} pool slots held by run {stale[:8]}, which is not running")
    return done
