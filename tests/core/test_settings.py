from datetime import datetime, timezone

import pytest

from orchestration.lib.core.pii import mask_pii, sha256_hex
from orchestration.lib.core.settings import (
    SettingsError,
    format_as_of,
    load_settings,
    parse_as_of,
)


def test_settings_file_then_env_then_overrides(tmp_path, monkeypatch):
    (tmp_path / "microseg.yml").write_text("landing: in\nwarehouse: db/w.duckdb\nas_of: '2026-01-01T00:00:00Z'\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MICROSEG_CONFIG", raising=False)
    for key in ("LANDING", "WAREHOUSE", "AS_OF", "REPORTS"):
        monkeypatch.delenv(f"MICROSEG_{key}", raising=False)
    s = load_settings()
    assert s.landing == (tmp_path / "in").resolve() and s.warehouse == (tmp_path / "db/w.duckdb").resolve()
    monkeypatch.setenv("MICROSEG_LANDING", "/srv/exports")
    monkeypatch.setenv("MICROSEG_AS_OF", "2026-02-01T00:00:00Z")
    s = load_settings()
    assert str(s.landing) == "/srv/exports" and s.as_of == "2026-02-01T00:00:00Z"
    s = load_settings({"as_of": "2026-03-01T00:00:00Z", "landing": None})
    assert s.as_of == "2026-03-01T00:00:00Z" and str(s.landing) == "/srv/exports"


def test_settings_unknown_key_and_bad_as_of_name_the_problem(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MICROSEG_AS_OF", raising=False)
    (tmp_path / "microseg.yml").write_text("landng: x\n")
    with pytest.raises(SettingsError, match="unknown setting.*landng"):
        load_settings()
    (tmp_path / "microseg.yml").write_text("as_of: next tuesday\n")
    with pytest.raises(SettingsError, match="next tuesday"):
        load_settings()


@pytest.mark.parametrize("text, expected", [
    ("2026-11-01T00:00:00Z", datetime(2026, 11, 1, tzinfo=timezone.utc)),
    ("2026-11-01T02:00:00+02:00", datetime(2026, 11, 1, tzinfo=timezone.utc)),
    ("2026-11-01", datetime(2026, 11, 1, tzinfo=timezone.utc)),
])
def test_parse_as_of(text, expected):
    assert parse_as_of(text) == expected
    assert format_as_of(parse_as_of(text)) == "2026-11-01T00:00:00Z"


def test_mask_pii_hashes_emails_and_phones_stably():
    masked = mask_pii("x,Anna@Example.com,+49 30 1234567,2026-10-01T10:00:00Z")
    assert "Anna" not in masked and "1234567" not in masked
    assert f"<email:{sha256_hex('anna@example.com')[:8]}>" in masked
    assert "2026-10-01T10:00:00Z" in masked


def _settings_file(tmp_path, monkeypatch, text: str):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MICROSEG_CONFIG", raising=False)
    for key in ("ENRICHMENT_PROVIDER", "ENRICHMENT_HTTP", "INFERENCE_MIN_CONFIDENCE", "AS_OF"):
        monkeypatch.delenv(f"MICROSEG_{key}", raising=False)
    (tmp_path / "microseg.yml").write_text(text)


def test_enrichment_defaults_are_offline(tmp_path, monkeypatch):
    _settings_file(tmp_path, monkeypatch, "landing: in\n")
    s = load_settings()
    assert s.enrichment_provider == "reference" and s.enrichment_http == {}
    assert s.inference_min_confidence == 0.7 and s.enrichment_cache_ttl_days == 30.0


def test_enrichment_http_settings_from_file_and_env(tmp_path, monkeypatch):
    _settings_file(tmp_path, monkeypatch, "enrichment_provider: http\n"
                                          "enrichment_http:\n  base_url: http://127.0.0.1:9\n  rate_limit: 5\n")
    s = load_settings()
    assert s.enrichment_provider == "http" and s.enrichment_http == {"base_url": "http://127.0.0.1:9", "rate_limit": 5}
    monkeypatch.setenv("MICROSEG_ENRICHMENT_HTTP", '{"base_url": "http://127.0.0.1:10", "concurrency": 8}')
    assert load_settings().enrichment_http["concurrency"] == 8


@pytest.mark.parametrize("text, message", [
    ("enrichment_provider: clearbit\n", "enrichment_provider must be one of"),
    ("enrichment_provider: http\n", "enrichment_http.base_url is not set"),
    ("enrichment_provider: http\nenrichment_http: {base_url: 'http://x', rate_limit: fast}\n",
     r"microseg.yml: enrichment_http.rate_limit: expected a number"),
    ("enrichment_provider: http\nenrichment_http: {base_url: 'http://x', api_key: s3cret}\n",
     "never read from a config file"),
    ("enrichment_http: [1, 2]\n", "enrichment_http must be a mapping"),
    ("inference_min_confidence: 1.5\n", r"inference_min_confidence must be a probability in \[0, 1\]"),
    ("enrichment_coverage_max_drop: 0\n", "enrichment_coverage_max_drop must be a share"),
    ("enrichment_cache_ttl_days: -1\n", "enrichment_cache_ttl_days must be >= 0"),
])
def test_enrichment_settings_errors_name_the_key(tmp_path, monkeypatch, text, message):
    _settings_file(tmp_path, monkeypatch, text)
    with pytest.raises(SettingsError, match=message):
        load_settings()
