"""The user's settings: defaults < `microseg.yml` < `MICROSEG_<KEY>` env vars < explicit overrides (CLI flags).

Every key is declared once, in its domain's schema (core below; identity, segments and enrichment in their
packages' settings.py); this module loads, validates and resolves them into one frozen `Settings`.
"""

from __future__ import annotations

import os
from dataclasses import make_dataclass
from pathlib import Path

from orchestration.lib.core.paths import REPO_ROOT
from orchestration.lib.core.settings_schema import ENV_PREFIX, Setting, SettingsError, SettingsSchema
from orchestration.lib.core.time import format_as_of, parse_as_of, to_utc
from orchestration.lib.core.yaml_files import YamlFileError, load_yaml_mapping, parse_yaml

__all__ = ["CORE_SETTINGS", "Settings", "SettingsError", "all_schemas", "all_settings", "configuration_doc", "dagster_home_for", "find_settings_file",
           "dbt_env", "duckdb_config", "thread_count", "describe_settings", "load_settings_with_origins",
           "format_as_of", "load_settings", "parse_as_of", "to_utc"]

CORE_SETTINGS = SettingsSchema("core", (
    Setting("landing", "path", "data/landing", "the landing folder (layout: docs/data-contract.md)",
            resource="microseg", flag="--landing"),
    Setting("warehouse", "path", "data/warehouse.duckdb", "the DuckDB file (dbt's profile reads the same file)",
            resource="microseg", flag="--warehouse"),
    Setting("reports", "path", "reports", "load report and GE Data Docs", resource="microseg"),
    Setting("scoring", "path", "scoring.yml", "behavior scoring settings: weights, half-lives, tiers "
            "(docs/scoring.md)", resource="microseg"),
    Setting("as_of", "instant", "", "ISO-8601 instant for every time rule; empty: the run's start (to the second)",
            resource="microseg", flag="--as-of"),
    Setting("future_tolerance_hours", "number", 24.0,
            "events stamped later than the end of their received day + this are quarantined", minimum=0,
            resource="microseg"),
    Setting("ingest_batch_mb", "integer", 512, "the event text (uncompressed) one ingest statement holds in memory "
            "at most: received days are loaded together up to this size (a larger day alone)", minimum=1,
            resource="microseg"),
    Setting("duckdb_memory_limit", "text", "4GB", "DuckDB's memory cap for every connection (ingest, identity, "
            "dbt, gates); larger inputs spill to disk"),
    Setting("duckdb_temp_directory", "path", "", "where DuckDB spills what does not fit in duckdb_memory_limit; "
            "empty: `<warehouse file>.tmp/` beside it (DuckDB's default)"),
    Setting("threads", "integer", 0, "threads for DuckDB and for dbt's models; 0: one per CPU core", minimum=0),
    Setting("dagster_home", "path", "", "the Dagster instance (run history, partitions, sensors) of this warehouse; "
            "empty: DAGSTER_HOME if set, else `<warehouse>.dagster/` beside the warehouse file, so two warehouses "
            "never share run history"),
    Setting("read_wait", "number", 300, "how long, in seconds, a reader (segments preview/members/diff, the "
            "run summary) waits for a running run to finish before it gives up", minimum=0, flag="--wait"),
    Setting("run_wait", "number", 3600, "how long, in seconds, a run waits for another run on the same "
            "warehouse to finish (0: fail at once, like --no-wait)", minimum=0, flag="--wait"),
))


def all_schemas() -> tuple[SettingsSchema, ...]:
    """Every domain's settings, in the order docs/configuration.md lists them."""
    from orchestration.lib.enrichment import ENRICHMENT_SETTINGS
    from orchestration.lib.identity import IDENTITY_SETTINGS
    from orchestration.lib.segments import SEGMENTS_SETTINGS

    return (CORE_SETTINGS, IDENTITY_SETTINGS, SEGMENTS_SETTINGS, ENRICHMENT_SETTINGS)


def all_settings() -> tuple[Setting, ...]:
    return tuple(s for schema in all_schemas() for s in schema.settings)


def _settings_class():
    fields = [(s.name, s.python_type) for s in all_settings()]
    return make_dataclass("Settings", fields, frozen=True, namespace={
        "data_docs_dir": property(lambda self: self.reports / "data_docs"),
        "__doc__": "The resolved settings of one run: every key of every domain's schema (paths absolute).",
    })


Settings = _settings_class()


def find_settings_file() -> Path | None:
    explicit = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise SettingsError(f"{ENV_PREFIX}CONFIG points to {path}, which is not a file")
        return path
    for candidate in (Path.cwd() / "microseg.yml", REPO_ROOT / "microseg.yml"):
        if candidate.is_file():
            return candidate
    return None


def load_settings(overrides: dict | None = None) -> Settings:
    """Defaults < microseg.yml < MICROSEG_* env vars < explicit overrides (CLI flags)."""
    return load_settings_with_origins(overrides)[0]


def load_settings_with_origins(overrides: dict | None = None) -> tuple[Settings, dict[str, str]]:
    """The settings, and for each key not at its default where its value came from (file, env var, flag)."""
    path = find_settings_file()
    base_dir = path.parent if path else Path.cwd()
    declared = {s.name: s for s in all_settings()}
    raw: dict = {}
    origin: dict[str, str] = {}
    if path:
        try:
            loaded = load_yaml_mapping(path, expected="a mapping of settings")
        except YamlFileError as exc:
            raise SettingsError(str(exc)) from exc
        unknown = sorted(set(loaded) - set(declared))
        if unknown:
            raise SettingsError(f"{path}: unknown setting(s) {unknown}; known: {sorted(declared)}")
        raw.update(loaded)
        origin.update({name: str(path) for name in loaded})
    for name, setting in declared.items():
        env = os.environ.get(setting.env_var)
        if env is not None:
            raw[name], origin[name] = env, f"env {setting.env_var}"
        if setting.kind == "mapping":   # MICROSEG_ENRICHMENT_HTTP__RATE_LIMIT=5 sets one key of the mapping
            prefix = setting.env_var + "__"
            keys = sorted(k for k in os.environ if k.startswith(prefix) and len(k) > len(prefix))
            if keys:
                merged = setting.parse(raw.get(name), origin.get(name, "settings"))
                for key in keys:
                    merged[key[len(prefix):].lower()] = parse_yaml(os.environ[key], f"env {key}")
                raw[name], origin[name] = merged, "env " + ", ".join(keys)
    for name, value in (overrides or {}).items():
        if value is not None:
            raw[name], origin[name] = value, f"--{name.replace('_', '-')}"
    origin_of = lambda name: origin.get(name, "settings")  # noqa: E731
    values = {}
    for name, setting in declared.items():
        value = setting.parse(raw.get(name, setting.default), origin_of(name))
        if setting.kind == "path" and (value or setting.default):
            p = Path(value or setting.default).expanduser()
            value = (p if p.is_absolute() else base_dir / p).resolve()
        elif setting.kind == "path":
            value = None          # an optional path left empty: its consumer derives it (see its help)
        values[name] = value
    for schema in all_schemas():
        for check in schema.checks:
            check(values, origin_of)
    return Settings(**values), origin


def dagster_home_for(settings) -> Path:
    """The Dagster instance folder of `settings.warehouse`: the `dagster_home` setting, else DAGSTER_HOME, else
    `<warehouse>.dagster/` beside the warehouse file (data/warehouse.duckdb -> data/warehouse.dagster/)."""
    if settings.dagster_home:
        return settings.dagster_home
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"]).resolve()
    return settings.warehouse.with_suffix(".dagster")


def thread_count(settings) -> int:
    """The `threads` setting, 0 resolved to this machine's CPU cores."""
    return int(settings.threads) or (os.cpu_count() or 1)


def duckdb_config(settings) -> dict[str, str | int]:
    """The DuckDB configuration of every connection to the warehouse (ours and dbt's, whose profiles.yml reads
    dbt_env): memory cap, spill folder, threads. One process's connections to one file must share it."""
    temp = settings.duckdb_temp_directory or f"{settings.warehouse}.tmp"      # DuckDB's own default
    return {"memory_limit": settings.duckdb_memory_limit, "temp_directory": str(temp),
            "threads": thread_count(settings)}


def dbt_env(settings) -> dict[str, str]:
    """What dbt's profiles.yml reads: the warehouse file and its DuckDB configuration (duckdb_config), set when
    dbt runs."""
    config = duckdb_config(settings)
    return {f"{ENV_PREFIX}WAREHOUSE": str(settings.warehouse),
            f"{ENV_PREFIX}DUCKDB_MEMORY_LIMIT": str(config["memory_limit"]),
            f"{ENV_PREFIX}DUCKDB_TEMP_DIRECTORY": str(config["temp_directory"]),
            f"{ENV_PREFIX}DUCKDB_THREADS": str(config["threads"])}


CONFIGURATION_DOC_HEADER = """# Configuration

<!-- Generated from the settings schema (orchestration/lib/*/settings.py) by `microseg config docs`;
     tests/core/test_settings_schema.py fails when this file is not current. Edit the schema, not this file. -->

microseg reads `microseg.yml` (in the working folder, else the repository's; `MICROSEG_CONFIG` names another
file). Every key can be overridden by an env var `MICROSEG_<KEY>`, and some by a CLI flag:
defaults < `microseg.yml` < env vars < flags. Relative paths are relative to the settings file's folder.
An unknown key, or a value out of range, stops the run with a message naming the file or env var and the key.
`microseg config show` prints every setting's value and where it came from.

Secrets never go in `microseg.yml`: the http enrichment provider's API key is read from the env var named by
`enrichment_http.api_key_env` (default `MICROSEG_ENRICHMENT_API_KEY`) when a lookup runs. One key of a mapping
setting is set by its own env var, `MICROSEG_ENRICHMENT_HTTP__RATE_LIMIT=5`; the whole mapping also as YAML text,
`MICROSEG_ENRICHMENT_HTTP='{base_url: "https://..."}'`.

The settings marked with a Dagster resource below are also that resource's config in the Dagster UI's
Launchpad (`microseg` or `enrichment`), with the same names (the enrichment resource drops the
`enrichment_` prefix).
"""


def configuration_doc() -> str:
    """docs/configuration.md: the header above and one table per domain, from the schemas."""
    from orchestration.lib.core.settings_schema import docs_table

    return CONFIGURATION_DOC_HEADER + "\n## Settings\n\n" + docs_table(all_schemas()).rstrip() + "\n"


def describe_settings(settings, origins: dict[str, str] | None = None) -> list[dict]:
    """One row per setting: name, value, env var (for `microseg config show`)."""
    return [{"setting": s.name, "value": getattr(settings, s.name), "env var": s.env_var,
             **({"from": origins.get(s.name, "default")} if origins is not None else {})}
            for s in all_settings()]
