"""Worker processes that are safe to start from a process that runs threads.

``fork`` copies only the calling thread. A lock another thread held at that moment (a logging
handler, an HTTP server of a test, DuckDB's scheduler, Dagster's event watchers) stays held forever
in the child, and a pool of such children hangs its parent for good: the CI run of 2026-12-02 hung
90 minutes in the phone pool. So worker pools start from the ``forkserver``: a clean process with no
threads that forks each worker. Tasks, their arguments and results travel pickled.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from multiprocessing.context import BaseContext


def workers_available() -> bool:
    """True when this process may start worker processes: more than one CPU and not itself a
    daemonic worker (those may not have children)."""
    return (os.cpu_count() or 1) > 1 and not mp.current_process().daemon


def worker_context() -> BaseContext:
    """The start method for worker pools: ``forkserver`` where the platform has it, else ``spawn``.
    Never ``fork`` (see the module docstring)."""
    return mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
