"""benchmarks/enrichment.py at a tiny size: structure of the results, per-row baseline = vectorized output."""

from __future__ import annotations

import json

import pandas as pd

from benchmarks import enrichment as bench
from orchestration.lib.enrichment import reference as ref

# small GeoNames countries keep the index cheap (DE, FR and US take ~4.5 s to index)
SMALL = ("GB", "NL", "AT", "CH", "ES", "IT")


_make_profiles = bench.make_profiles


def profiles(n: int, seed: int):
    return _make_profiles(n, seed=seed, countries=SMALL)


def test_profiles_are_deterministic_and_messy():
    a, da = bench.make_profiles(3000, seed=3)
    b, db = bench.make_profiles(3000, seed=3)
    assert set(a["country"].dropna().str.upper()) == set(bench.sample_data.COUNTRIES)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_series_equal(da, db)
    assert list(a.columns) == list(ref.INPUT_COLUMNS) and a["person_id"].is_unique
    for col in ("email", "first_name", "city", "country"):
        assert a[col].isna().any(), col                      # missing values at some rate
    cities = set(a["city"].dropna())
    assert {"Muenchen", "MÜNCHEN"} & cities or any(c.isupper() for c in cities)
    assert a["email"].dropna().str.contains(r"[A-Z]").any()   # case mess


def test_per_row_baseline_equals_vectorized():
    frame, declared = profiles(2000, seed=5)
    assert set(frame["country"].dropna().str.upper()) == set(SMALL)
    attrs, _ = ref.reference_attributes(frame, declared_gender=declared)
    same = bench.compare(attrs, bench.per_row_reference(frame))
    assert same["equal"], same["examples"]
    assert same["rows_vectorized"] > 2000


def test_compare_sees_a_difference():
    frame, _ = profiles(300, seed=5)
    attrs, _ = ref.reference_attributes(frame)
    changed = attrs.copy()
    changed.loc[changed.index[0], "value"] = "nowhere"
    assert not bench.compare(changed, attrs)["equal"]
    assert not bench.compare(attrs.iloc[1:], attrs)["equal"]


def test_main_writes_results(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(bench, "clear_reference_caches", lambda: [])   # a cold GeoNames index costs ~12 s
    monkeypatch.setattr(bench, "make_profiles", lambda n, seed: profiles(n, seed))
    out = tmp_path / "enrichment_results.json"
    assert bench.main(["--profiles", "1500", "--sample", "500", "--persons", "1500", "--skip-http",
                       "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    r = doc["reference"]
    for key in ("cold_seconds", "warm_best_seconds", "rows_per_s_warm", "peak_rss_cold_mb", "coverage", "report",
                "per_row", "target_met_warm"):
        assert key in r, key
    assert r["per_row"]["equal"] and r["per_row"]["sample"] == 500
    assert set(r["coverage"]) == set(ref.ATTRIBUTES)
    inf = doc["inference"]
    assert inf["features"] == 30 and set(inf["reports"]) == {"gender", "age_band"}
    assert inf["reports"]["gender"]["trained"]
    assert "http" not in doc
    assert "per-row baseline" in capsys.readouterr().out
