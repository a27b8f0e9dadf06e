"""Segments: the segment language (schema, parser, compiler, catalog), fixtures, membership history,
and the `microseg segments` tools on a warehouse.

The public API: assets, checks, the CLI and other domains import these names from here. Submodules load on
first use, so importing the package stays cheap.
"""

from orchestration.lib.core.lazy import lazy_exports

_EXPORTS = {
    "Catalog": "dsl",
    "FileResult": "dsl",
    "Issue": "dsl",
    "load_catalog": "dsl",
    "run_fixture_dir": "fixtures",
    "record": "history",
    "SCHEMA": "tools",
    "SegmentToolError": "tools",
    "compile_from": "tools",
    "describe_members": "tools",
    "diff": "tools",
    "members_frame": "tools",
    "open_warehouse": "tools",
    "other_definition": "tools",
    "preview": "tools",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
