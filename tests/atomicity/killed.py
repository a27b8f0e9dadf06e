"""Running a step in a process of its own, killed at a failpoint (MICROSEG_FAILPOINT)."""

from __future__ import annotations

import os
import subprocess
import sys

from orchestration.lib.core import REPO_ROOT


def run_python(args: list[str], failpoint: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """`python <args>` from the repository root, with MICROSEG_FAILPOINT set to `failpoint` (or unset)."""
    env = {k: v for k, v in os.environ.items() if k != "MICROSEG_FAILPOINT"}
    if failpoint is not None:
        env["MICROSEG_FAILPOINT"] = failpoint
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
