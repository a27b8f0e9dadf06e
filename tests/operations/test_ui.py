"""`microseg ui`: the configured warehouse's own instance, and a clean stop on SIGTERM (real dagster dev)."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from orchestration.lib.core import load_settings

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ui_serves_the_warehouse_instance_and_stops_on_sigterm(tmp_path):
    # Regression: `make ui` used one shared .dagster_home for every warehouse, and did not stop on SIGTERM
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MICROSEG_", "DAGSTER_HOME"))}
    env.update(MICROSEG_WAREHOUSE=str(tmp_path / "shop.duckdb"), MICROSEG_LANDING=str(tmp_path / "landing"),
               MICROSEG_REPORTS=str(tmp_path / "reports"))
    (tmp_path / "landing").mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "orchestration.cli.main", "ui", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, up = time.monotonic() + 240, False
        while time.monotonic() < deadline and proc.poll() is None and not up:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as reply:
                    up = reply.status == 200
            except OSError:
                time.sleep(1)
        assert up, f"the UI did not come up: {proc.poll()}"
        home = tmp_path / "shop.dagster"
        assert (home / "dagster.yaml").is_file()            # the warehouse's own instance, beside it
        assert "nux" in (home / "dagster.yaml").read_text()
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        assert time.monotonic() - started < 45
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = proc.stdout.read()
    assert f"warehouse={tmp_path / 'shop.duckdb'}" in output and f"dagster_home={home}" in output
    leftover = subprocess.run(["pgrep", "-f", f"-p {port}"], capture_output=True, text=True).stdout.strip()
    assert leftover == "", f"dagster processes left running: {leftover}"


def test_each_warehouse_gets_its_own_instance_folder(tmp_path, monkeypatch):
    from orchestration.lib.core import dagster_home_for

    for name in list(os.environ):
        if name.startswith("MICROSEG_") or name == "DAGSTER_HOME":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    a = load_settings({"warehouse": str(tmp_path / "a.duckdb")})
    b = load_settings({"warehouse": str(tmp_path / "b.duckdb")})
    assert dagster_home_for(a) == tmp_path / "a.dagster" and dagster_home_for(b) == tmp_path / "b.dagster"
    monkeypatch.setenv("MICROSEG_DAGSTER_HOME", str(tmp_path / "shared"))
    assert dagster_home_for(load_settings()) == tmp_path / "shared"
