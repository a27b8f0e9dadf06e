"""Erasure (the right to be forgotten): requests, the person's footprint, the purge of every table and file,
tombstones that keep them forgotten at ingest, the compaction of the warehouse file, and the erasure report.

The public API: assets, checks, the CLI and other domains import these names from here. Submodules load on
first use, so importing the package stays cheap.
"""

from orchestration.lib.core.lazy import lazy_exports

_EXPORTS = {
    "ErasureResult": "apply",
    "apply_erasures": "apply",
    "compact_database": "compaction",
    "Footprint": "footprint",
    "find_footprint": "footprint",
    "redact_files": "files",
    "record_dropped": "ingest_filter",
    "row_erased_sql": "ingest_filter",
    "text_erased_sql": "ingest_filter",
    "purge_tables": "purge",
    "report_markdown": "report",
    "write_report": "report",
    "ErasureRequest": "store",
    "add_requests": "store",
    "compaction_due": "store",
    "ensure_store": "store",
    "has_tombstones": "store",
    "pending_requests": "store",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
