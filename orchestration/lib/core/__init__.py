"""What every domain shares: settings (microseg.yml + MICROSEG_* env vars), time and as_of, PII masking,
the repository's paths, markdown tables, the run summary, DuckDB transactions, files written whole and the
failpoints of the tests of killed runs, and worker processes that are safe to start from a process with
threads.

The public API: assets, checks, the CLI and other domains import these names from here. Submodules load on
first use, so importing the package stays cheap.
"""

from orchestration.lib.core.lazy import lazy_exports  # noqa: I001

_EXPORTS = {
    "in_transaction": "duckdb_tables",
    "sql_literal": "duckdb_tables",
    "table_exists": "duckdb_tables",
    "transaction": "duckdb_tables",
    "write_table": "duckdb_tables",
    "FAILPOINTS": "failpoints",
    "failpoint": "failpoints",
    "atomic_path": "files",
    "write_bytes_atomic": "files",
    "write_text_atomic": "files",
    "REPO_ROOT": "paths",
    "worker_context": "processes",
    "workers_available": "processes",
    "email_key": "pii",
    "mask_pii": "pii",
    "sha256_hex": "pii",
    "FAILED_ASSETS": "run_summary",
    "format_summary": "run_summary",
    "gate_entry": "run_summary",
    "one_line": "run_summary",
    "markdown_table": "markdown",
    "warehouse_summary": "run_summary",
    "Settings": "settings",
    "dbt_env": "settings",
    "duckdb_config": "settings",
    "thread_count": "settings",
    "dagster_home_for": "settings",
    "find_settings_file": "settings",
    "load_settings": "settings",
    "load_settings_with_origins": "settings",
    "configuration_doc": "settings",
    "describe_settings": "settings",
    "all_schemas": "settings",
    "Setting": "settings_schema",
    "SettingsError": "settings_schema",
    "SettingsSchema": "settings_schema",
    "format_as_of": "time",
    "parse_as_of": "time",
    "to_utc": "time",
    "YamlFileError": "yaml_files",
    "load_yaml": "yaml_files",
    "load_yaml_mapping": "yaml_files",
    "parse_yaml": "yaml_files",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
