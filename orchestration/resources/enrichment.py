"""The enrichment provider as a Dagster resource: which person-lookup provider runs, and its settings."""


import json

import dagster as dg

from orchestration.lib.core import ENRICHMENT_PROVIDERS


class EnrichmentResource(dg.ConfigurableResource):
    """`provider`: `reference` (offline reference data only; the default) or `http` (person lookups through
    the warehouse cache, plus reference data). `http` holds the http provider's settings as JSON
    (microseg.yml `enrichment_http`; the API key itself only ever comes from the env var it names)."""

    provider: str = "reference"
    http: str = "{}"
    cache_ttl_days: float = 30.0
    inference_min_confidence: float = 0.7
    coverage_max_drop: float = 0.2

    def http_config(self):
        """The validated http provider settings (errors name microseg.yml and the key)."""
        from orchestration.lib.enrichment import HttpProviderConfig

        return HttpProviderConfig.from_mapping(json.loads(self.http or "{}"), "microseg.yml")

    def person_lookup(self, con, progress=None):
        """The configured person-lookup provider, or None for `reference` (no third-party lookups)."""
        if self.provider not in ENRICHMENT_PROVIDERS:
            raise ValueError(f"enrichment_provider must be one of {list(ENRICHMENT_PROVIDERS)}, got {self.provider!r}")
        if self.provider != "http":
            return None
        from orchestration.lib.enrichment import HttpProvider

        return HttpProvider(self.http_config(), con, self.cache_ttl_days, progress=progress)
