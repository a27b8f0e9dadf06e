"""The warehouse file as a shared resource: its run lock, the connections readers and writers open on it,
the journal of the runs that wrote it, and the relations a killed step leaves behind.

The public API: the CLI, the resources and the run session import these names from here. Submodules load on
first use, so importing the package stays cheap.
"""

from orchestration.lib.core.lazy import lazy_exports

_EXPORTS = {
    "FileHolder": "connections",
    "WarehouseBusy": "connections",
    "WarehouseMissing": "connections",
    "open_for_reading": "connections",
    "open_for_writing": "connections",
    "JournalEntry": "journal",
    "drop_leftovers": "leftovers",
    "Holder": "run_lock",
    "Lease": "run_lock",
    "LockTimeout": "run_lock",
    "Say": "run_lock",
    "acquire_exclusive": "run_lock",
    "acquire_shared": "run_lock",
    "held_here": "run_lock",
    "lock_path": "run_lock",
    "read_holder": "run_lock",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
