"""Segments: the segment language (schema, parser, compiler, catalog), fixtures, membership history,
and the `microseg segments` tools on a warehouse.

The public API: assets, checks, the CLI and other domains import these names from here. Submodules load on
first use, so importing the package stays cheap.
"""

from orchestration.lib.core.lazy import lazy_exports

_EXPORTS = {
    "SEGMENTS_SETTINGS": "settings",
    "Catalog": "dsl.catalog",
    "FileResult": "dsl.catalog",
    "Issue": "dsl.issues",
    "load_catalog": "dsl.catalog",
    "NoFixturesError": "fixtures",
    "run_fixture_dir": "fixtures",
    "record": "history",
    "activation_gate_frame": "activation_gate",
    "SCHEMA": "tools",
    "latest_run_as_of": "tools",
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
