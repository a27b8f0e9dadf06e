"""The failpoints: declared once (FAILPOINTS), each placed in the code and documented; unarmed, nothing."""

import re
import signal

from orchestration.lib.core import FAILPOINTS, REPO_ROOT, failpoint
from tests.atomicity.killed import run_python
from tests.atomicity.steps import STEPS

NAMES = [name for name, _ in FAILPOINTS]
CALL = re.compile(r"""\bfailpoint\(\s*["']([^"']+)["']\s*\)""")


def placed() -> list[str]:
    return sorted(name for path in (REPO_ROOT / "orchestration").rglob("*.py")
                  for name in CALL.findall(path.read_text(encoding="utf-8")))


def test_every_failpoint_is_declared_once_and_placed_once():
    assert len(set(NAMES)) == len(NAMES)
    assert placed() == sorted(NAMES)


def test_the_steps_of_the_killed_run_tests_are_failpoints():
    assert set(STEPS) <= set(NAMES)


def test_every_failpoint_is_documented_in_operations():
    text = (REPO_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text.split("## Failpoints (for tests of killed runs)", 1)[1].split("\n## ", 1)[0]
    assert [name for name in NAMES if f"`{name}`" not in section] == []


def test_an_unarmed_failpoint_does_nothing(monkeypatch):
    monkeypatch.delenv("MICROSEG_FAILPOINT", raising=False)
    failpoint("ingest.events")
    monkeypatch.setenv("MICROSEG_FAILPOINT", "ingest.tables,erasure.purge")
    failpoint("ingest.events")            # another one is armed: still nothing here


def test_an_armed_failpoint_kills_the_process_with_sigkill():
    code = "from orchestration.lib.core import failpoint; failpoint('segments.history'); print('alive')"
    died = run_python(["-c", code], failpoint="segments.history")
    assert died.returncode == -signal.SIGKILL and "alive" not in died.stdout
    lived = run_python(["-c", code])
    assert lived.returncode == 0 and lived.stdout.strip() == "alive"
