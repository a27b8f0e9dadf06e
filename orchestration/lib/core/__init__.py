"""What every domain shares: settings (microseg.yml + MICROSEG_* env vars), time and as_of, PII masking,
the repository's paths, markdown tables and the run summary.

The public API: assets, checks, the CLI and other domains import these names from here. Submodules load on
first use, so importing the package stays cheap.
"""

from orchestration.lib.core.lazy import lazy_exports  # noqa: I001

_EXPORTS = {
    "REPO_ROOT": "paths",
    "mask_pii": "pii",
    "sha256_hex": "pii",
    "format_summary": "run_summary",
    "markdown_table": "run_summary",
    "warehouse_summary": "run_summary",
    "ENRICHMENT_PROVIDERS": "settings",
    "Settings": "settings",
    "SettingsError": "settings",
    "format_as_of": "settings",
    "load_settings": "settings",
    "parse_as_of": "settings",
    "to_utc": "settings",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
