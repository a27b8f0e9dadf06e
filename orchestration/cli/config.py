"""`microseg config show | docs`: the resolved settings and where each came from; the configuration reference."""

from __future__ import annotations

import json

import click

from orchestration.lib.core import SettingsError


@click.group()
def config() -> None:
    """Settings: what is in force, and the reference of every key."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
def config_show(as_json: bool) -> None:
    """Every setting's value and where it came from (default, microseg.yml, env var). Exit 2 if invalid."""
    from orchestration.lib.core import describe_settings, load_settings_with_origins

    try:
        settings, origins = load_settings_with_origins()
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from exc
    rows = describe_settings(settings, origins)
    if as_json:
        click.echo(json.dumps({r["setting"]: r["value"] for r in rows}, indent=2, default=str))
        return
    width = max(len(r["setting"]) for r in rows)
    for r in rows:
        value = r["value"]
        if r["setting"] == "enrichment_http" and value:
            value = json.dumps(value, sort_keys=True)
        click.echo(f"{r['setting']:<{width}}  {value!s:<40}  ({r['from']}; env {r['env var']})")


@config.command("docs")
def config_docs() -> None:
    """The configuration reference (docs/configuration.md) from the settings schema, on standard output."""
    from orchestration.lib.core import configuration_doc

    click.echo(configuration_doc(), nl=False)
