"""The landing folder: the data contract (file layouts, columns, reasons), quarantine, loading into raw.*,
and `microseg validate`.

The public API: assets, checks, the CLI and other domains import these names from here. Submodules load on
first use, so importing the package stays cheap.
"""

from orchestration.lib.core.lazy import lazy_exports

_EXPORTS = {
    "InputFileError": "contract",
    "TABLES": "contract",
    "TableSpec": "contract",
    "event_days": "contract",
    "fingerprint": "contract",
    "table_files": "contract",
    "EventDayStats": "loading",
    "FileProblem": "loading",
    "batches": "batching",
    "text_bytes": "batching",
    "connect": "loading",
    "load_event_days": "loading",
    "load_table": "loading",
    "load_received_days": "loading",
    "days_to_load": "manifest",
    "loaded_files": "manifest",
    "partition_runs": "manifest",
    "ReceivedDaysLoad": "loading",
    "prepare": "loading",
    "validate_landing": "validate",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
