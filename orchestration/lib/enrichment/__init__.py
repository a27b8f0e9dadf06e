"""Enriched profiles: the reference and http person-lookup providers, the lookup cache, inferred attributes,
and the attribute vocabulary shared with the segment language and the gates.

The public API: assets, checks, the CLI and other domains import these names from here. Submodules load on
first use, so importing the package stays cheap.
"""

from orchestration.lib.core.lazy import lazy_exports

_EXPORTS = {
    "ATTRIBUTES": "attributes",
    "DECLARED": "attributes",
    "KNOWN_VALUES": "attributes",
    "PROVENANCES": "attributes",
    "HttpPersonLookup": "http",
    "HttpProviderConfig": "http",
    "InferenceConfig": "inference",
    "infer_attributes": "inference",
    "HttpProvider": "providers",
    "LONG_COLUMNS": "providers",
    "ReferenceProvider": "providers",
    "coverage": "providers",
    "coverage_drops": "providers",
    "empty_attributes": "providers",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
