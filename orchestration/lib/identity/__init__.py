"""Identity resolution: normalizing contact fields, blocking and scoring candidate pairs (Fellegi-Sunter),
clustering, the identity map, the review queue and merge ledger, and `microseg dedupe`.

The public API: assets, checks, the CLI and other domains import these names from here. Submodules load on
first use, so importing the package stays cheap.
"""

from orchestration.lib.core.lazy import lazy_exports

_EXPORTS = {
    "IDENTITY_SETTINGS": "settings",
    "dedupe": "dedupe_file",
    "CONTACTS_MATCH_CONFIG": "identity_map",
    "build_identity_map": "identity_map",
    "contacts_config": "identity_map",
    "matching_frame": "identity_map",
    "IdentityResolution": "identity_resolution",
    "resolve_identities": "identity_resolution",
    "MatchConfigError": "match_config",
    "load_config": "match_config",
    "DECISION_NAMES": "matching",
    "MatchInputError": "matching",
    "SEPARATE": "matching",
    "resolve": "matching",
    "score_pairs": "matching",
    "normalize_contacts": "normalize",
    "rejections_by_reason": "normalize",
    "normalize_country": "normalize",
    "normalize_gender": "normalize",
    "normalize_email": "normalize",
    "normalize_phone": "normalize",
    "register_ids": "pair_tables",
    "register_scored": "pair_tables",
    "append_ledger": "review",
    "collect_decisions": "review",
    "contact_links": "review",
    "export_queue": "review",
    "read_decision_file": "review",
    "write_queue": "review",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
