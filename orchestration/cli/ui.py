"""`microseg ui`: the Dagster UI on the configured warehouse's own instance, stopped cleanly by SIGTERM / Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import click

from orchestration.cli.common import load_cli_settings

STOP_GRACE_SECONDS = 20


def ui_command(settings, host: str, port: int) -> tuple[list[str], dict[str, str]]:
    """The `dagster dev` command line and environment for `settings`' warehouse: its own DAGSTER_HOME, the same
    settings file and warehouse for the code server, telemetry off."""
    from orchestration.lib.core import REPO_ROOT, find_settings_file
    from orchestration.pipeline import ensure_dagster_home

    env = {**os.environ, "DAGSTER_HOME": str(ensure_dagster_home(settings)),
           "MICROSEG_WAREHOUSE": str(settings.warehouse), "DAGSTER_DISABLE_TELEMETRY": "1",
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "GX_ANALYTICS_ENABLED": "false"}
    settings_file = find_settings_file()
    if settings_file:
        env["MICROSEG_CONFIG"] = str(settings_file.resolve())
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    dagster = Path(venv_bin) / "dagster"
    cmd = [str(dagster) if dagster.exists() else "dagster", "dev", "-w", str(REPO_ROOT / "workspace.yaml"),
           "-h", host, "-p", str(port)]
    return cmd, env


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=3000, show_default=True)
def ui(host: str, port: int) -> None:
    """The Dagster UI (dagster dev) for the configured warehouse; its runs and sensors use that warehouse's
    instance only. SIGTERM or Ctrl-C stops the UI and its code server."""
    from orchestration.lib.core import REPO_ROOT
    from orchestration.pipeline import prepare_dbt

    settings = load_cli_settings()
    prepare_dbt()
    cmd, env = ui_command(settings, host, port)
    click.echo(f"microseg ui: warehouse={settings.warehouse} dagster_home={env['DAGSTER_HOME']} "
               f"http://{host}:{port}", err=True)
    proc = subprocess.Popen(cmd, env=env, cwd=REPO_ROOT, start_new_session=True)

    def stop(signum, _frame):
        # dagster dev alone does not stop on SIGTERM: pass it on to its whole process group, then make sure
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.exit(proc.wait())
