"""The `microseg` command line: one module per command group, gathered here."""

from __future__ import annotations

import os

import click

from orchestration.cli.config import config
from orchestration.cli.dedupe import dedupe
from orchestration.cli.forget import forget
from orchestration.cli.generate import generate
from orchestration.cli.run import run
from orchestration.cli.segments import segments
from orchestration.cli.ui import ui
from orchestration.cli.validate import validate


@click.group()
@click.version_option(package_name="microseg")
def main() -> None:
    """microseg: identity-resolved profiles, scores and segments from your exports."""
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


for command in (generate, validate, run, dedupe, segments, forget, config, ui):
    main.add_command(command)


if __name__ == "__main__":
    main()
