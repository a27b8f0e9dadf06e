"""What every command shares: the user's settings, with a settings error as a usage error."""

from __future__ import annotations

import click

from orchestration.lib.core import SettingsError, load_settings


def load_cli_settings(**overrides):
    """Settings from microseg.yml + MICROSEG_* env vars + the command's flags; a bad value is a usage error."""
    try:
        return load_settings(overrides)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc


BUSY_EXIT = 75   # EX_TEMPFAIL: the warehouse is in use; try again later


def wait_options(func):
    """`--wait SECONDS` / `--no-wait` of a command that writes the warehouse (default: the `run_wait` setting)."""
    func = click.option("--no-wait", "no_wait", is_flag=True,
                        help="Fail at once when another run holds the warehouse, instead of waiting.")(func)
    return click.option("--wait", "wait_s", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
                        help="How long to wait for another run on the same warehouse (MICROSEG_RUN_WAIT).")(func)


def say_on_stderr(line: str) -> None:
    click.echo(f"microseg: {line}", err=True)


def exit_busy(exc: Exception) -> None:
    """One line, no traceback, exit BUSY_EXIT: the warehouse stayed in use (LockTimeout, WarehouseBusy)."""
    click.echo(f"error: {exc}", err=True)
    raise SystemExit(BUSY_EXIT)
