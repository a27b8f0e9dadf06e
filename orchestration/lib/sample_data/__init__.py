"""The sample-data generator: a realistic landing folder with ground truth, following the data contract.

The public API: assets, checks, the CLI and other domains import these names from here. Submodules load on
first use, so importing the package stays cheap.

Modules: ``generator`` (``generate``: the driver, shards in worker processes, merge, manifest), ``plan`` (the
world drawn in the parent), ``shard`` (one shard's run) with ``contacts``, ``orders``, ``campaigns``,
``sessions``, ``event_lines`` and ``event_files``; the reference tables ``geography``, ``people``,
``assortment``, ``tracking``; the CRM export's mess in ``messy_values``; small helpers in ``clock``, ``text``
and ``weighted``; rates, columns and stats in ``contract``.  The reference tables and mess functions are
exported for tests and benchmarks that build data the way the generator does.
"""

from orchestration.lib.core.lazy import lazy_exports

_EXPORTS = {
    "generate": "generator",
    # rates, the files' columns, the stats of a run
    "DEFAULT_AS_OF": "contract",
    "GenerationStats": "contract",
    "QUARANTINE_REASONS": "contract",
    "RATES": "contract",
    # reference tables
    "CALLING_CODES": "geography",
    "CITIES": "geography",
    "CITY_COUNTRY": "geography",
    "CITY_LOCALE": "geography",
    "CITY_NAME": "geography",
    "CITY_POPULATION_K": "geography",
    "CITY_URBAN": "geography",
    "CITY_VARIANTS": "geography",
    "COUNTRIES": "geography",
    "COUNTRY_NAMES": "geography",
    "COUNTRY_WEIGHTS": "geography",
    "FIRST_NAME_LOCALE": "people",
    "FIRST_NAMES": "people",
    "FREEMAIL_DOMAINS": "people",
    "GENDER_SPELLING_WEIGHTS": "people",
    "GENDERS": "people",
    "LAST_NAMES": "people",
    "OTHER_DOMAINS": "people",
    "ROLE_LOCAL_PARTS": "people",
    # text helpers and the CRM export's mess
    "TRANSLITERATION": "text",
    "email_local_part": "text",
    "strip_accents": "text",
    "accent_variant": "messy_values",
    "case_whitespace_variant": "messy_values",
    "typo": "messy_values",
    "typo_email": "messy_values",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
