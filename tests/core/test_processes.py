"""Worker pools start from the forkserver: a lock another thread of the parent holds is not held in the
workers (a forked worker inherits it held and hangs on it), and workers that never answer do not hang
the caller."""

import multiprocessing as mp
import threading
import time

from orchestration.lib.core import worker_context
from orchestration.lib.identity.normalize.contacts import WorkerJob

HELD_BY_A_THREAD = threading.Lock()


def lock_state(items: list) -> list:
    """'free' when this process can take ``HELD_BY_A_THREAD``, 'held' when it cannot within 3 s."""
    took = HELD_BY_A_THREAD.acquire(timeout=3)
    if took:
        HELD_BY_A_THREAD.release()
    return ["free" if took else "held" for _ in items]


def slow_in_workers(items: list) -> list:
    if mp.current_process().daemon:
        time.sleep(60)
    return [f"{item}!" for item in items]


def _holding_the_lock_in_a_thread():
    taken, release = threading.Event(), threading.Event()

    def hold():
        with HELD_BY_A_THREAD:
            taken.set()
            release.wait(30)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    taken.wait(5)
    return thread, release


def test_a_lock_held_by_another_thread_is_free_in_the_workers():
    thread, release = _holding_the_lock_in_a_thread()
    try:
        with worker_context().Pool(2) as pool:
            states = pool.map(lock_state, [[1], [2], [3], [4]], chunksize=1)
    finally:
        release.set()
        thread.join()
    assert states == [["free"]] * 4


def test_the_phone_job_runs_in_workers_while_a_thread_holds_a_lock(monkeypatch):
    from orchestration.lib.identity.normalize import contacts
    monkeypatch.setattr(contacts, "PHONE_POOL_MIN", 5)
    monkeypatch.setattr(contacts, "PHONE_CHUNK", 4)
    thread, release = _holding_the_lock_in_a_thread()
    try:
        job = WorkerJob(lock_state, list(range(10)))
        assert job.pool is not None
        states = job.result()
    finally:
        release.set()
        thread.join()
    assert states == ["free"] * 10


def test_workers_that_do_not_answer_in_time_leave_the_work_to_this_process(monkeypatch):
    from orchestration.lib.identity.normalize import contacts
    monkeypatch.setattr(contacts, "PHONE_POOL_MIN", 2)
    job = WorkerJob(slow_in_workers, ["a", "b", "c"], timeout_s=2)
    assert job.pool is not None
    started = time.monotonic()
    assert job.result() == ["a!", "b!", "c!"]
    assert time.monotonic() - started < 30 and job.pool is None
