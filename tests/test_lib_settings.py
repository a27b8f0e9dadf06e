from datetime import datetime, timezone

import pytest

from orchestration.lib.pii import mask_pii, sha256_hex
from orchestration.lib.settings import SettingsError, format_as_of, load_settings, parse_as_of


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
