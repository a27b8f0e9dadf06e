"""Files written whole or not at all (lib/core/files.py): a temporary file beside the target, then a rename."""

import signal
import textwrap

import pytest

from orchestration.lib.core import atomic_path, write_text_atomic
from tests.atomicity.killed import run_python


def test_the_new_text_replaces_the_file_and_no_temporary_file_stays(tmp_path):
    path = tmp_path / "load_report.md"
    write_text_atomic(path, "first\n")
    path.chmod(0o640)
    write_text_atomic(path, "second, with ü\n")
    assert path.read_text(encoding="utf-8") == "second, with ü\n"
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)          # a replaced file keeps its permissions
    assert [p.name for p in tmp_path.iterdir()] == ["load_report.md"]


def test_a_block_that_raises_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "queue.csv"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            tmp.write_text("half of the new", encoding="utf-8")
            raise RuntimeError("the export failed")
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["queue.csv"]


KILLED_WRITER = """
import os, signal, sys
from orchestration.lib.core import atomic_path
with atomic_path(sys.argv[1]) as tmp:
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write("the first half of the new report")
        handle.flush()
        os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_process_killed_while_writing_leaves_the_old_file_whole(tmp_path):
    path = tmp_path / "report.json"
    path.write_text('{"old": true}\n', encoding="utf-8")
    died = run_python(["-c", textwrap.dedent(KILLED_WRITER), str(path)])
    assert died.returncode == -signal.SIGKILL, died.stderr
    assert path.read_text(encoding="utf-8") == '{"old": true}\n'
    # what the killed process wrote is only in a hidden temporary file, which a glob of reports does not match
    assert [p.name for p in tmp_path.glob("*.json")] == ["report.json"]
    [left] = [p for p in tmp_path.iterdir() if p != path]
    assert left.name.startswith(".report.json.") and left.name.endswith(".microseg-tmp")
