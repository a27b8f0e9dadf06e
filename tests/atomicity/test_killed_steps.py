"""A step killed by SIGKILL inside its transaction (at its failpoint) leaves every table, and every file beside
the warehouse, as it was before the step; run again, it gives what a run that was never killed gives."""

import signal

import pytest

from tests.atomicity.killed import run_python
from tests.atomicity.steps import STEPS, state


@pytest.mark.parametrize("name", sorted(STEPS))
def test_a_step_killed_at_its_failpoint_leaves_everything_as_before_and_reruns_whole(name, tmp_path):
    step = STEPS[name]
    killed, never_killed = tmp_path / "killed", tmp_path / "never_killed"
    for folder in (killed, never_killed):
        folder.mkdir()
        step.prepare(folder)
    before = state(killed)

    # a list names it among others (and a name that no step has)
    died = run_python(["-m", "tests.atomicity.steps", name, str(killed)], failpoint=f"no.such.point, {name}")
    assert died.returncode == -signal.SIGKILL, died.stderr
    assert state(killed) == before

    step.run(never_killed)
    step.run(killed)
    after = state(killed)
    assert after == state(never_killed)
    assert after != before


def test_without_its_failpoint_a_step_runs_to_the_end_in_a_process(tmp_path):
    STEPS["segments.history"].prepare(tmp_path)
    before = state(tmp_path)
    done = run_python(["-m", "tests.atomicity.steps", "segments.history", str(tmp_path)],
                      failpoint="ingest.events")
    assert done.returncode == 0, done.stderr
    assert state(tmp_path) != before
