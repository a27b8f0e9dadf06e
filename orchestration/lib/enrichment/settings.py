"""Enrichment's settings (microseg.yml): which provider looks persons up, its cache, inference, the coverage warning."""

from orchestration.lib.core.settings_schema import Setting, SettingsError, SettingsSchema

PROVIDERS = ("reference", "http")


def _http_settings_valid(values: dict, origin_of) -> None:
    http = values["enrichment_http"]
    if values["enrichment_provider"] == "http" and not http.get("base_url"):
        raise SettingsError("enrichment_provider is 'http' but enrichment_http.base_url is not set "
                            "(e.g. enrichment_http: {base_url: 'https://person.example.com'})")
    if http:
        from orchestration.lib.enrichment import HttpProviderConfig

        try:
            HttpProviderConfig.from_mapping(http, origin_of("enrichment_http"))
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc


ENRICHMENT_SETTINGS = SettingsSchema("enrichment", (
    Setting("enrichment_provider", "choice", "reference",
            "reference: offline reference data only; http: person lookups (enrichment_http) on top",
            choices=PROVIDERS, resource="enrichment", field="provider"),
    Setting("enrichment_http", "mapping", {},
            "the http provider: base_url, api_key_env, rate_limit, concurrency, timeouts, retries, field_mapping "
            "(docs/enrichment.md); the API key itself only ever comes from the env var named by api_key_env",
            resource="enrichment", field="http"),
    Setting("enrichment_cache_ttl_days", "number", 30.0,
            "http answers (found or unknown) are reused this long; failures are retried next run",
            minimum=0, resource="enrichment", field="cache_ttl_days"),
    Setting("inference_min_confidence", "number", 0.7,
            "an inferred gender / age band is applied only at or above this confidence (the model's calibrated "
            "probability of being right)",
            minimum=0, maximum=1, noun="a probability", resource="enrichment"),
    Setting("inference_min_lift", "number", 0.05,
            "an inferred attribute is applied only when the model's held-out accuracy beats always answering the "
            "most common declared value by at least this (0.05 = 5 points); otherwise nothing is inferred",
            minimum=0, maximum=1, exclusive_minimum=True, noun="an accuracy margin", resource="enrichment"),
    Setting("enrichment_coverage_max_drop", "number", 0.2,
            "advisory warning when an attribute's coverage falls by more than this share against the previous run",
            minimum=0, maximum=1, exclusive_minimum=True, noun="a share", resource="enrichment",
            field="coverage_max_drop"),
), checks=(_http_settings_valid,))
