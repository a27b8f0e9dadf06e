"""`segments preview | members` without --as-of evaluate at the warehouse's latest run, and say so."""

import os

import pytest
from click.testing import CliRunner

from orchestration.cli import main
from tests.helpers.world import AS_OF

pytestmark = pytest.mark.slow


def test_previews_default_to_the_latest_runs_as_of(pipeline_world, monkeypatch):
    # Regression: without --as-of they evaluated at the wall clock (time windows empty, an empty CSV, exit 0)
    for name in list(os.environ):
        if name.startswith("MICROSEG_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MICROSEG_WAREHOUSE", str(pipeline_world.settings.warehouse))
    runner = CliRunner()
    defaulted = runner.invoke(main, ["segments", "preview", "potential_buyers"])
    explicit = runner.invoke(main, ["segments", "preview", "potential_buyers", "--as-of", AS_OF])
    assert defaulted.exit_code == 0 and explicit.exit_code == 0, defaulted.output
    assert f"as_of {AS_OF} (the warehouse's latest run)" in defaulted.stderr
    assert defaulted.stdout == explicit.stdout and " 0 members" not in defaulted.stdout
    members = runner.invoke(main, ["segments", "members", "potential_buyers"])
    same = runner.invoke(main, ["segments", "members", "potential_buyers", "--as-of", AS_OF])
    assert members.stdout == same.stdout and len(members.stdout.splitlines()) > 1


def test_previews_before_any_run_ask_for_an_instant(tmp_path, monkeypatch):
    import duckdb

    for name in list(os.environ):
        if name.startswith("MICROSEG_"):
            monkeypatch.delenv(name)
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    monkeypatch.setenv("MICROSEG_WAREHOUSE", str(empty))
    result = CliRunner().invoke(main, ["segments", "preview", "potential_buyers"])
    assert result.exit_code == 2 and "run `microseg run`" in result.stderr
