"""Enriched profiles: the reference and http person-lookup providers, the lookup cache, inferred attributes,
the attribute vocabulary shared with the segment language and the gates, and what enrichment reads from and
writes to the warehouse (whom it may look at: consent and erasure).

The public API: assets, checks, the CLI and other domains import these names from here. Submodules load on
first use, so importing the package stays cheap.
"""

from orchestration.lib.core.lazy import lazy_exports

_EXPORTS = {
    "ENRICHMENT_SETTINGS": "settings",
    "PROVIDERS": "settings",
    "MissingApiKeyError": "http",
    "redact_url": "http",
    "ATTRIBUTES": "attributes",
    "DECLARED": "attributes",
    "KNOWN_VALUES": "attributes",
    "PROVENANCES": "attributes",
    "HttpPersonLookup": "http",
    "HttpProviderConfig": "http",
    "InferenceConfig": "inference",
    "infer_attributes": "inference",
    "LONG_COLUMNS": "attribute_frames",
    "empty_attributes": "attribute_frames",
    "values_by_attribute": "attribute_frames",
    "HttpProvider": "providers",
    "ReferenceProvider": "providers",
    "coverage": "providers",
    "coverage_drops": "providers",
    "lookup_warnings": "providers",
    "inference_inputs": "warehouse",
    "profiles_to_enrich": "warehouse",
    "profiles_to_look_up": "warehouse",
    "write_attributes": "warehouse",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
