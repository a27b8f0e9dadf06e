"""Enrichment benchmark (issue 4): reference lookups at 1M profiles, inference at 100k persons, HTTP client.

`python -m benchmarks.enrichment [--profiles 1000000] [--sample 20000] [--persons 100000] [--lookups 2000]
[--concurrency 8] [--skip-http]` (also a step of `make bench`; BENCH_ENRICHMENT=0 skips it there). Writes
bench_out/enrichment_results.json (BENCH_OUT) and prints a summary.

1. Reference enrichment (orchestration/lib/enrichment/reference.py). A deterministic (seeded numpy) frame of
   PROFILES profiles drawn from the generator's own tables (orchestration.lib.sample_data: `COUNTRIES` and
   their weights, the city table `CITIES` with the generator's city weighting, `CITY_VARIANTS`, first names
   `FIRST_NAMES`, free-mail domains `FREEMAIL_DOMAINS`, `OTHER_DOMAINS`, misspelt domains from `typo_email`),
   made messy at rates like the CRM export's: city spellings "Muenchen", "MÜNCHEN", "Munich", padded,
   misspelt or missing; first names upper-cased, compound, accent-stripped or missing; emails with misspelt
   domains, case and whitespace, disposable domains, a long tail of company domains, malformed or missing.
   Building it is not timed. Timed: `reference_attributes(profiles, declared_gender)` cold (first call in the process,
   every lru_cache of the module cleared first: GeoNames load and index, domain lists, gender-guesser's
   dictionary) and warm (twice, best reported); rows/s; peak RSS of the process during each call (Linux
   VmHWM reset before the call, else psutil sampling), and coverage per attribute.
   Baseline, same process: `per_row_reference` below, a plain Python loop doing the same lookups one row
   at a time (city key per row + dict lookup in the same GeoNames index, domain extracted and classified
   per row, `enrich_reference.guess_gender` per row), on a seeded SAMPLE-row sample, extrapolated
   linearly to PROFILES. Its output must equal the vectorized output of the same persons (the `equal`
   flag and mismatch count; a mismatch makes the exit status 1). Target: <= 30 s for 1M on 2 cores.
2. Inference (orchestration/lib/enrichment/inference.py): `infer_attributes` on PERSONS persons x 30 features (a
   synthetic long frame with gender and age signal, seeded; 30 % of labels undeclared, 5 % of persons
   without features), fit + predict of gender and age_band, pivot included; the holdout accuracy against
   the majority baseline from its reports.
3. HTTP client: benchmarks/enrichment_http.run(LOOKUPS, CONCURRENCY) (local test server, 5 ms latency:
   concurrency 1 vs CONCURRENCY, and with 10 % 503s).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sys
import threading
import time
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from orchestration.lib import sample_data  # noqa: E402
from orchestration.lib.enrichment import reference as ref  # noqa: E402

OUT = Path(os.environ.get("BENCH_OUT", "bench_out")).resolve()
TARGET_SECONDS_1M = 30.0
DISPOSABLE = ("mailinator.com", "guerrillamail.com", "yopmail.com", "10minutemail.com", "trashmail.com",
              "sharklasers.com", "throwawaymail.com")
COMPANY_TLDS = ("de", "com", "fr", "co.uk", "es", "it", "nl", "at", "ch", "io", "eu")


# ------------------------------------------------------------------------------------------------ memory
class PeakRss:
    """Peak RSS (MB) of this process inside a `with` block: Linux resets VmHWM through clear_refs;
    elsewhere a psutil sampler thread (10 ms)."""

    def __enter__(self):
        self.peak_mb = None
        self._linux = False
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self._linux = True
        except OSError:
            import psutil

            self._proc, self._stop, self._peak = psutil.Process(), threading.Event(), 0
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self._peak = max(self._peak, self._proc.memory_info().rss)
            self._stop.wait(0.01)

    def __exit__(self, *exc):
        if self._linux:
            status = Path("/proc/self/status").read_text()
            self.peak_mb = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024
        else:
            self._stop.set()
            self._thread.join()
            self._peak = max(self._peak, self._proc.memory_info().rss)
            self.peak_mb = self._peak / 2**20
        return False


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


# ------------------------------------------------------------------------------------------------ profiles
def _pick(rng: np.random.Generator, probs: dict[int, float], n: int) -> np.ndarray:
    keys = np.array(list(probs))
    p = np.array(list(probs.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _typo(s: str, k: int) -> str:
    return sample_data.typo(s, random.Random(f"{s}/{k}"))


def make_profiles(n: int, seed: int = 42, countries: tuple[str, ...] | None = None
                  ) -> tuple[pd.DataFrame, pd.Series]:
    """(profiles with enrich_reference.INPUT_COLUMNS, declared gender aligned with them), deterministic.
    `countries`: a subset of the generator's (weights renormalized; the tests use small ones)."""
    rng = np.random.default_rng(seed)
    chosen = [i for i, c in enumerate(sample_data.COUNTRIES) if countries is None or c in countries]
    countries = np.array([sample_data.COUNTRIES[i] for i in chosen], dtype=object)
    weights = np.array([sample_data.COUNTRY_WEIGHTS[i] for i in chosen])
    ci = rng.choice(len(countries), size=n, p=weights / weights.sum())
    city = np.zeros(n, dtype=np.int64)
    for k, c in enumerate(countries):                       # the generator's city weighting
        idx = [j for j in range(len(sample_data.CITIES)) if sample_data.CITY_COUNTRY[j] == c]
        pops = np.array([sample_data.CITY_POPULATION_K[j] for j in idx], dtype=float)
        big = pops >= 100
        w = np.where(big, pops / pops[big].sum() * 0.64, np.sqrt(pops) / np.sqrt(pops[~big]).sum() * 0.36)
        sel = ci == k
        city[sel] = rng.choice(idx, size=int(sel.sum()), p=w / w.sum())

    # city spellings: a table (city x spelling), one column picked per row
    spellings = []
    for name in sample_data.CITY_NAME:
        variants = sample_data.CITY_VARIANTS.get(name, ()) or (name,)
        spellings.append([name, *(variants[i % len(variants)] for i in range(3)), name.upper(), name.lower(),
                          name.translate(sample_data.TRANSLITERATION), sample_data.strip_accents(name), f" {name} ",
                          _typo(name, 1), _typo(name, 2), None])
    table = np.array(spellings, dtype=object)
    col = _pick(rng, {0: 0.86, 1: 0.04 / 3, 2: 0.04 / 3, 3: 0.04 / 3, 4: 0.015, 5: 0.01, 6: 0.015, 7: 0.01,
                      8: 0.01, 9: 0.005, 10: 0.005, 11: 0.03}, n)
    city_text = table[city, col]

    # country: ISO code, some lower-case, some missing
    kind = _pick(rng, {0: 0.95, 1: 0.02, 2: 0.03}, n)
    country_text = countries[ci].copy()
    country_text[kind == 1] = np.char.lower(country_text[kind == 1].astype(str)).astype(object)
    country_text[kind == 2] = None

    # first names from the locale of the city (Genève: French), by true gender
    gender = rng.choice(3, size=n, p=[0.505, 0.485, 0.01])
    locale = np.array([sample_data.FIRST_NAME_LOCALE[loc] for loc in sample_data.CITY_LOCALE], dtype=object)[city]
    g_list = np.where(gender < 2, gender, rng.integers(0, 2, n))
    first = np.empty(n, dtype=object)
    second = np.empty(n, dtype=object)
    for (loc, g), names in sample_data.FIRST_NAMES.items():
        sel = (locale == loc) & (g_list == g)
        arr = np.array(names, dtype=object)
        first[sel] = arr[rng.integers(0, len(arr), int(sel.sum()))]
        second[sel] = arr[rng.integers(0, len(arr), int(sel.sum()))]
    fkind = _pick(rng, {0: 0.895, 1: 0.02, 2: 0.01, 3: 0.01, 4: 0.015, 5: 0.01, 6: 0.005, 7: 0.035}, n)
    fn = pd.Series(first, dtype=object)
    fn[fkind == 1] = fn[fkind == 1].str.upper()
    fn[fkind == 2] = fn[fkind == 2].str.lower()
    fn[fkind == 3] = " " + fn[fkind == 3] + " "
    fn[fkind == 4] = fn[fkind == 4] + np.where(rng.random(int((fkind == 4).sum())) < 0.5, "-", " ") + second[fkind == 4]
    fn[fkind == 5] = fn[fkind == 5].map(sample_data.strip_accents)
    fn[fkind == 6] = fn[fkind == 6].map(lambda s: _typo(s, 0))
    fn[fkind == 7] = None

    # emails: the generator's per-country free-mail + example domains, a company tail, and the mess
    local = [f"{sample_data.email_local_part(f)}.{i}" for i, f in enumerate(first)]
    domain = np.empty(n, dtype=object)
    for k, c in enumerate(countries):
        sel = ci == k
        doms = [d for d, _ in sample_data.FREEMAIL_DOMAINS[c]] + [d for d, _ in sample_data.OTHER_DOMAINS]
        w = np.array([w for _, w in sample_data.FREEMAIL_DOMAINS[c]] + [w for _, w in sample_data.OTHER_DOMAINS],
                     dtype=float)
        domain[sel] = np.array(doms, dtype=object)[rng.choice(len(doms), size=int(sel.sum()), p=w / w.sum())]
    dkind = _pick(rng, {0: 0.80, 1: 0.10, 2: 0.005, 3: 0.015}, n)
    n1 = int((dkind == 1).sum())                         # company domains, Zipf-like: ~10k distinct at 1M
    company = np.minimum(rng.zipf(1.3, n1), 50_000)
    tld = np.array(COMPANY_TLDS, dtype=object)[rng.integers(0, len(COMPANY_TLDS), n1)]
    domain[dkind == 1] = [f"company{k}.{t}" for k, t in zip(company, tld)]
    domain[dkind == 2] = np.array(DISPOSABLE, dtype=object)[rng.integers(0, len(DISPOSABLE), int((dkind == 2).sum()))]
    typo_idx = np.flatnonzero(dkind == 3)
    domain[typo_idx] = [sample_data.typo_email(f"x@{d}", random.Random(int(i))).split("@", 1)[1]
                        for i, d in zip(typo_idx, domain[typo_idx])]
    email = pd.Series([f"{lo}@{d}" for lo, d in zip(local, domain)], dtype=object)
    ekind = _pick(rng, {0: 0.90, 1: 0.015, 2: 0.015, 3: 0.01, 4: 0.06}, n)
    email[ekind == 1] = email[ekind == 1].str.upper()
    email[ekind == 2] = " " + email[ekind == 2] + " "
    bad = np.flatnonzero(ekind == 3)
    email[bad] = [("n/a", "-", f"{e.split('@')[0]}@", e.replace("@", ""))[i % 4] for i, e in zip(bad, email[bad])]
    email[ekind == 4] = None

    declared = np.array(["female", "male", "other"], dtype=object)[gender]
    declared[rng.random(n) >= 0.6] = None
    profiles = pd.DataFrame({"person_id": [f"p{i:07d}" for i in range(n)], "email": email,
                             "first_name": fn.to_numpy(), "city": city_text, "country": country_text})
    return profiles, pd.Series(declared, name="gender")


# ------------------------------------------------------------------------------------------------ baseline
def city_key_scalar(value) -> str | None:
    """enrich_reference.city_key for one value (same steps, plain Python)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    s = str(value).casefold().replace("ß", "ss")
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"(?<=[a-z])([aou])e", r"\1", s)
    s = re.sub(r"[^a-z0-9]+", " ", s).strip()
    return s or None


_DOMAIN = re.compile(r"@([^@\s]+)$")


def _text(v) -> str | None:
    return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)


def per_row_reference(profiles: pd.DataFrame) -> pd.DataFrame:
    """The per-row baseline: one Python iteration per profile, the same lookups as reference_attributes
    (same GeoNames index, region table, domain lists and guess_gender), no de-duplication of values."""
    countries = {c.upper() for c in profiles["country"].dropna()}
    index = {(c, k): (p, t, conf) for c, k, p, t, conf in
             ref.city_index(tuple(sorted(countries))).itertuples(index=False, name=None)}
    regions = ref.region_table()
    free, disposable = ref.domain_lists()
    rows: list[tuple] = []
    add = rows.append
    for pid, email, first, city, country in profiles[list(ref.INPUT_COLUMNS)].itertuples(index=False, name=None):
        pid = str(pid)
        country = _text(country)
        country = country.upper() if country is not None else None
        key = city_key_scalar(city)
        if key is not None and country is not None:
            hit = index.get((country, key))
            if hit is not None:
                add((pid, "city_type", hit[1], hit[2], "geonames"))
                add((pid, "city_population", str(int(hit[0])), hit[2], "geonames"))
        if country is not None and country in regions:
            add((pid, "region", regions[country], ref.REGION_CONFIDENCE, "geonames"))
        email = _text(email)
        if email is not None:
            m = _DOMAIN.search(email.strip().lower())
            if m:
                dom = m.group(1)
                if dom in disposable:
                    add((pid, "email_domain_type", "disposable", ref.LISTED_DOMAIN_CONFIDENCE, "email-domain-lists"))
                elif dom in free:
                    add((pid, "email_domain_type", "free", ref.LISTED_DOMAIN_CONFIDENCE, "email-domain-lists"))
                else:
                    add((pid, "email_domain_type", "corporate", ref.CORPORATE_DOMAIN_CONFIDENCE, "email-domain-lists"))
                    add((pid, "company_domain", dom, ref.CORPORATE_DOMAIN_CONFIDENCE, "email-domain-lists"))
        first = _text(first)
        if first is not None:
            guess = ref.guess_gender(first.strip(), country)
            if guess:
                add((pid, "gender", guess[0], guess[1], "gender-guesser"))
    return pd.DataFrame(rows, columns=ref.COLUMNS)


def compare(vectorized: pd.DataFrame, per_row: pd.DataFrame) -> dict:
    """Same (person_id, attribute, value, confidence, source) rows in both? Confidence to 1e-9."""
    def norm(df: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame({c: df[c].astype(object).where(df[c].notna(), None).map(
            lambda v: None if v is None else str(v)) for c in ("person_id", "attribute", "value", "source")})
        out["confidence"] = df["confidence"].astype("float64").round(9).to_numpy()
        return out.sort_values(["person_id", "attribute"], kind="stable").reset_index(drop=True)

    a, b = norm(vectorized), norm(per_row)
    merged = a.merge(b, on=["person_id", "attribute"], how="outer", suffixes=("_vec", "_row"), indicator=True)
    differ = merged["_merge"] != "both"
    for c in ("value", "source", "confidence"):
        differ |= (merged[f"{c}_vec"] != merged[f"{c}_row"]) & (merged["_merge"] == "both")
    examples = merged[differ].head(5).astype(str).to_dict("records")
    return {"rows_vectorized": len(a), "rows_per_row": len(b), "mismatches": int(differ.sum()),
            "equal": bool(not differ.any() and len(a) == len(b)), "examples": examples}


def clear_reference_caches() -> list[str]:
    cleared = []
    for name, obj in vars(ref).items():
        if callable(getattr(obj, "cache_clear", None)):
            obj.cache_clear()
            cleared.append(name)
    return sorted(cleared)


def coverage(attributes: pd.DataFrame, profiles: int) -> dict[str, float]:
    counts = attributes.groupby("attribute")["person_id"].nunique()
    return {a: round(float(counts.get(a, 0)) / max(profiles, 1), 4) for a in ref.ATTRIBUTES}


def bench_reference(n_profiles: int, sample: int, seed: int = 42, warm_runs: int = 2) -> dict:
    started = time.perf_counter()
    profiles, declared = make_profiles(n_profiles, seed)
    gen_s = time.perf_counter() - started
    rss_before = rss_mb()
    cleared = clear_reference_caches()
    with PeakRss() as mem_cold:
        t0 = time.perf_counter()
        attrs, report = ref.reference_attributes(profiles, declared_gender=declared)
        cold = time.perf_counter() - t0
    warm, mem_warm = [], []
    for _ in range(warm_runs):
        del attrs
        with PeakRss() as m:
            t0 = time.perf_counter()
            attrs, report = ref.reference_attributes(profiles, declared_gender=declared)
            warm.append(time.perf_counter() - t0)
        mem_warm.append(m.peak_mb)
    best = min(warm)

    rng = np.random.default_rng(seed + 1)
    rows = np.sort(rng.choice(n_profiles, size=min(sample, n_profiles), replace=False))
    part = profiles.iloc[rows].reset_index(drop=True)
    t0 = time.perf_counter()
    slow = per_row_reference(part)
    per_row_s = time.perf_counter() - t0
    same = compare(attrs[attrs["person_id"].isin(set(part["person_id"]))], slow)
    extrapolated = per_row_s * n_profiles / max(len(part), 1)
    per_1m = best * 1_000_000 / n_profiles
    return {
        "profiles": n_profiles, "seed": seed, "generate_seconds": round(gen_s, 2),
        "rss_with_profiles_mb": round(rss_before, 1), "caches_cleared": cleared,
        "cold_seconds": round(cold, 3), "warm_seconds": [round(w, 3) for w in warm],
        "warm_best_seconds": round(best, 3),
        "rows_per_s_cold": round(n_profiles / cold), "rows_per_s_warm": round(n_profiles / best),
        "peak_rss_cold_mb": round(mem_cold.peak_mb, 1), "peak_rss_warm_mb": round(max(mem_warm), 1),
        "output_rows": len(attrs), "coverage": coverage(attrs, n_profiles), "report": report.to_dict(),
        "per_row": {"sample": len(part), "seconds": round(per_row_s, 3),
                    "rows_per_s": round(len(part) / per_row_s), "extrapolated_seconds": round(extrapolated, 1),
                    "ratio_vs_vectorized_warm": round(extrapolated / best, 1), **same},
        "target_seconds_1m": TARGET_SECONDS_1M,
        "warm_seconds_per_1m": round(per_1m, 2), "cold_seconds_per_1m": round(cold * 1_000_000 / n_profiles, 2),
        "target_met_cold": bool(cold * 1_000_000 / n_profiles <= TARGET_SECONDS_1M),
        "target_met_warm": bool(per_1m <= TARGET_SECONDS_1M),
    }


# ------------------------------------------------------------------------------------------------ inference
CATEGORIES = ("Electronics", "Fashion", "Home & Garden", "Beauty", "Sports", "Books", "Toys", "Grocery",
              "Jewelry", "Garden Tools", "Music", "Pet Supplies")
BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
HOURS = ("night", "early_morning", "morning", "afternoon", "evening", "late_evening")
DEVICES = ("mobile", "desktop", "tablet")


def make_features(n: int, seed: int = 7, missing: float = 0.3, no_features: float = 0.05
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(features long: person_id, feature, value; labels: person_id, gender, age_band), 30 features:
    12 category shares (gender and age), 6 hour shares and 3 device shares (age), prices, counts and
    recency (age, activity), plus noise. Zero values are left out, as a feature model would."""
    rng = np.random.default_rng(seed)
    g = rng.choice(3, size=n, p=[0.49, 0.49, 0.02])
    a = rng.choice(6, size=n, p=[0.12, 0.22, 0.20, 0.18, 0.15, 0.13])
    z = (a - 2.5) / 2.5
    k = len(CATEGORIES)
    gender_eff = rng.normal(0, 0.7, (3, k))
    age_eff = rng.normal(0, 0.5, k)
    p = np.exp(gender_eff[g] + z[:, None] * age_eff[None, :] + rng.normal(0, 0.6, (n, k)))
    p /= p.sum(1, keepdims=True)
    views = rng.poisson(15, n) + 1
    cols = {f"category_share:{c}": s for c, s in zip(CATEGORIES, (rng.multinomial(views, p) / views[:, None]).T)}
    hl = np.outer(z, rng.normal(0, 0.7, len(HOURS))) + rng.normal(0, 0.5, (n, len(HOURS)))
    hp = np.exp(hl) / np.exp(hl).sum(1, keepdims=True)
    for h, s in zip(HOURS, (rng.multinomial(views + 5, hp) / (views + 5)[:, None]).T):
        cols[f"hour_share:{h}"] = s
    dl = np.stack([-0.8 * z, 0.6 * z, 0.3 * z - 0.8], 1) + rng.normal(0, 0.5, (n, 3))
    for d, s in zip(DEVICES, (np.exp(dl) / np.exp(dl).sum(1, keepdims=True)).T):
        cols[f"device_share:{d}"] = s
    cols["avg_viewed_price"] = np.exp(3.3 + 0.25 * a + rng.normal(0, 0.5, n))
    orders = rng.poisson(np.exp(0.3 + 0.1 * a + rng.normal(0, 0.5, n)))
    cols["orders_365d"] = orders.astype(float)
    cols["avg_purchased_price"] = np.where(orders > 0, cols["avg_viewed_price"] * np.exp(rng.normal(0.1, 0.3, n)), 0.0)
    cols["events_90d"] = rng.poisson(np.exp(3.5 - 0.2 * z + rng.normal(0, 0.6, n))).astype(float) + 1
    cols["sessions_90d"] = np.ceil(cols["events_90d"] / rng.uniform(3, 8, n))
    cols["cart_adds_90d"] = rng.poisson(cols["sessions_90d"] * 0.4).astype(float)
    cols["days_since_last_event"] = np.floor(rng.exponential(20 + 5 * a, n))
    cols["weekend_share"] = rng.beta(2 + 0.3 * a, 5, n)
    cols["discount_order_share"] = np.where(orders > 0, rng.beta(2 + (g == 0), 4, n), 0.0)
    ids = np.array([f"P{i:07d}" for i in range(n)], dtype=object)
    names = sorted(cols)
    has = rng.random(n) >= no_features
    values = np.stack([cols[c] for c in names], 1)[has]
    long = pd.DataFrame({"person_id": np.repeat(ids[has], len(names)),
                         "feature": np.tile(np.array(names, dtype=object), int(has.sum())),
                         "value": values.ravel()})
    long = long[long["value"] != 0].reset_index(drop=True)
    labels = pd.DataFrame({"person_id": ids,
                           "gender": np.where(rng.random(n) < missing, None,
                                              np.array(["female", "male", "other"], dtype=object)[g]),
                           "age_band": np.where(rng.random(n) < missing, None, np.array(BANDS, dtype=object)[a])})
    return long, labels


def bench_inference(n_persons: int, seed: int = 7) -> dict:
    from orchestration.lib.enrichment import InferenceConfig, infer_attributes

    t0 = time.perf_counter()
    features, labels = make_features(n_persons, seed)
    gen_s = time.perf_counter() - t0
    with PeakRss() as mem:
        t0 = time.perf_counter()
        result = infer_attributes(features, labels, InferenceConfig())
        seconds = time.perf_counter() - t0
    reports = {}
    for attr, rep in result.reports.items():
        d = rep.to_dict()
        reports[attr] = {k: d.get(k) for k in (
            "trained", "skipped_reason", "n_features", "n_train", "n_holdout", "n_predict_candidates", "n_applied",
            "holdout_accuracy", "baseline_accuracy", "holdout_log_loss", "expected_calibration_error",
            "accuracy_at_threshold", "coverage_at_threshold", "dropped_classes")}
    return {"persons": n_persons, "features": int(features["feature"].nunique()), "feature_rows": len(features),
            "generate_seconds": round(gen_s, 2), "fit_predict_seconds": round(seconds, 3),
            "peak_rss_mb": round(mem.peak_mb, 1), "predictions": len(result.predictions), "reports": reports}


# ------------------------------------------------------------------------------------------------ main
def _share(v) -> str:
    return "n/a" if v is None else f"{v:.1%}"


def summary(doc: dict) -> str:
    lines = [f"machine: {doc['machine']['machine']}, {doc['machine']['cores']} cores, "
             f"Python {doc['machine']['python']}, pandas {doc['machine']['pandas']}"]
    r = doc["reference"]
    pr = r["per_row"]
    lines += [
        f"reference enrichment, {r['profiles']:,} profiles (frame built in {r['generate_seconds']:.1f}s, not timed):",
        f"  cold (caches cleared: GeoNames index, lists, gender dictionary) {r['cold_seconds']:.2f}s "
        f"({r['rows_per_s_cold']:,} rows/s), peak RSS {r['peak_rss_cold_mb']:,.0f} MB "
        f"(frame alone {r['rss_with_profiles_mb']:,.0f} MB)",
        f"  warm {' / '.join(f'{w:.2f}s' for w in r['warm_seconds'])} (best {r['rows_per_s_warm']:,} rows/s), "
        f"peak RSS {r['peak_rss_warm_mb']:,.0f} MB; {r['output_rows']:,} attribute rows",
        f"  per-row baseline on {pr['sample']:,} rows: {pr['seconds']:.2f}s ({pr['rows_per_s']:,} rows/s) -> "
        f"{pr['extrapolated_seconds']:.1f}s extrapolated = {pr['ratio_vs_vectorized_warm']:.1f}x the vectorized warm"
        f" time; outputs {'EQUAL' if pr['equal'] else 'MISMATCH'} ({pr['rows_vectorized']:,} vs "
        f"{pr['rows_per_row']:,} rows, {pr['mismatches']} differing)",
        "  coverage: " + ", ".join(f"{a} {v:.1%}" for a, v in r["coverage"].items()),
        f"  distinct looked up: {r['report']['distinct_looked_up']}; unmatched: {r['report']['unmatched']}",
        f"  target <= {r['target_seconds_1m']:.0f}s per 1M: cold {r['cold_seconds_per_1m']:.1f}s "
        f"({'met' if r['target_met_cold'] else 'NOT met'}), warm {r['warm_seconds_per_1m']:.1f}s "
        f"({'met' if r['target_met_warm'] else 'NOT met'})",
    ]
    i = doc["inference"]
    lines.append(f"inference, {i['persons']:,} persons x {i['features']} features ({i['feature_rows']:,} rows): "
                 f"fit + predict {i['fit_predict_seconds']:.2f}s, peak RSS {i['peak_rss_mb']:,.0f} MB, "
                 f"{i['predictions']:,} predictions applied")
    for attr, rep in i["reports"].items():
        if rep["trained"]:
            lines.append(f"  {attr}: holdout accuracy {rep['holdout_accuracy']:.3f} vs baseline "
                         f"{rep['baseline_accuracy']:.3f}; above the threshold "
                         f"{_share(rep['accuracy_at_threshold'])} right on "
                         f"{_share(rep['coverage_at_threshold'])} of the holdout; applied {rep['n_applied']:,} of "
                         f"{rep['n_predict_candidates']:,}")
        else:
            lines.append(f"  {attr}: skipped ({rep['skipped_reason']})")
    h = doc.get("http")
    if h:
        par = next(v for k, v in h.items() if k.startswith("parallel_c"))
        flt = next(v for k, v in h.items() if k.startswith("faults_"))
        lines.append(f"http client, {h['n_lookups']:,} lookups, server latency {h['server_latency_ms']:.0f} ms: "
                     f"c1 {h['baseline_c1']['lookups_per_s']:,.0f}/s, c{par['concurrency']} "
                     f"{par['lookups_per_s']:,.0f}/s ({h['speedup']:.2f}x), with 10% 503s "
                     f"{flt['lookups_per_s']:,.0f}/s ({flt['retries']} retries, {flt['failed']} failed)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.enrichment", description=__doc__.split("\n")[0])
    ap.add_argument("--profiles", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=20_000, help="rows of the per-row baseline")
    ap.add_argument("--persons", type=int, default=100_000, help="persons of the inference benchmark")
    ap.add_argument("--lookups", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--skip-http", action="store_true")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", type=Path, default=OUT / "enrichment_results.json")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    doc = {"machine": {"machine": platform.machine(), "cores": os.cpu_count(), "python": platform.python_version(),
                       "pandas": pd.__version__, "numpy": np.__version__},
           "args": {k: str(v) for k, v in vars(args).items()}}
    print(f"reference enrichment at {args.profiles:,} profiles ...", flush=True)
    doc["reference"] = bench_reference(args.profiles, args.sample, args.seed)
    print(f"inference at {args.persons:,} persons ...", flush=True)
    doc["inference"] = bench_inference(args.persons)
    if not args.skip_http:
        print(f"http client, {args.lookups:,} lookups ...", flush=True)
        from benchmarks import enrichment_http

        doc["http"] = enrichment_http.run(args.lookups, args.concurrency)
    doc["total_seconds"] = round(time.perf_counter() - started, 1)
    print(summary(doc))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0 if doc["reference"]["per_row"]["equal"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
