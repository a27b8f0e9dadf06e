"""The enrichment provider as a Dagster resource: which person-lookup provider runs, and its settings.

Its fields are the settings declared with `resource="enrichment"` in lib/enrichment/settings.py.
"""

import os
from collections.abc import Callable

import dagster as dg

from orchestration.resources.settings_fields import settings_resource


class _EnrichmentProvider(dg.ConfigurableResource):
    """`provider`: `reference` (offline reference data only; the default) or `http` (person lookups through
    the warehouse cache, plus reference data). `http` holds the http provider's settings (microseg.yml
    `enrichment_http`); the API key itself only ever comes from the env var it names, read when a lookup runs."""

    def http_config(self):
        """The validated http provider settings (errors name microseg.yml and the key)."""
        from orchestration.lib.enrichment import HttpProviderConfig

        return HttpProviderConfig.from_mapping(dict(self.http or {}), "microseg.yml")

    def person_lookup(self, con, progress=None):
        """The configured person-lookup provider, or None for `reference` (no third-party lookups)."""
        from orchestration.lib.enrichment import PROVIDERS, HttpProvider

        if self.provider not in PROVIDERS:
            raise ValueError(f"enrichment_provider must be one of {list(PROVIDERS)}, got {self.provider!r}")
        if self.provider != "http":
            return None
        config = self.http_config()
        return HttpProvider(config, con, self.cache_ttl_days, progress=progress, api_key=api_key_from_env(config))


def api_key_from_env(config) -> Callable[[], str]:
    """The http provider's API key, read from the env var named by `enrichment_http.api_key_env` when the first
    request is about to go out: the one place a secret is read (never microseg.yml, never lib/)."""
    from orchestration.lib.enrichment import MissingApiKeyError, redact_url

    def read() -> str:
        key = os.environ.get(config.api_key_env, "").strip()
        if not key:
            raise MissingApiKeyError(
                f"enrichment provider {redact_url(config.base_url)}: no API key: environment variable "
                f"{config.api_key_env} is not set (or empty); set it to the provider's API key "
                f"(api_key_env names the variable)")
        return key

    return read


EnrichmentResource = settings_resource("EnrichmentResource", _EnrichmentProvider, "enrichment",
                                       {"__doc__": _EnrichmentProvider.__doc__, "__module__": __name__})
