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
