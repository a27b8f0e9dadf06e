"""The plan of a run, drawn in the parent process before any shard starts: the window's days, every person
(the hidden truth: demographics, city, lifecycle, activity, names and email addresses), the catalog, the email
campaigns and the split of persons into shards.  Shards only read it (each worker process gets a pickled copy).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np

from orchestration.lib.sample_data.assortment import (
    CATEGORIES,
    CATEGORY_AGE_EFFECT,
    CATEGORY_BASE_LOGIT,
    CATEGORY_GENDER_EFFECT,
    CATEGORY_URBAN_EFFECT,
)
from orchestration.lib.sample_data.campaigns import Campaign, plan_campaigns
from orchestration.lib.sample_data.catalog import Catalog, make_catalog
from orchestration.lib.sample_data.clock import (
    DAY_MS,
    EPOCH_ORDINAL,
    HOUR_MS,
    iso_date,
    time_zone_transitions,
)
from orchestration.lib.sample_data.contract import (
    ANONYMOUS_VISITOR_RATE,
    DUPLICATE_PERSON_RATE,
    ROLE_ADDRESS_RATE,
)
from orchestration.lib.sample_data.geography import (
    CITIES,
    CITY_COUNTRY,
    CITY_LOCALE,
    CITY_POPULATION_K,
    CITY_URBAN,
    COUNTRIES,
    COUNTRY_WEIGHTS,
    TIME_ZONES,
)
from orchestration.lib.sample_data.people import (
    COMPANY_TRADES,
    FIRST_NAME_LOCALE,
    FIRST_NAMES,
    FREEMAIL_DOMAINS,
    LAST_NAME_LOCALE,
    LAST_NAMES,
    OTHER_DOMAINS,
    ROLE_LOCAL_PARTS,
)
from orchestration.lib.sample_data.text import email_local_part
from orchestration.lib.sample_data.weighted import WeightedTable, weighted_choice

CONTACTS_PER_SHARD = 12_500
MAX_SHARDS = 8
PARTS_FOLDER = ".generate-parts"  # per-shard part files, merged and removed at the end of a run
NEVER_MS = 2**62  # "no such instant" in the *_ms arrays


@dataclass
class Persons:
    """Every person of the world by global index i (CRM persons and anonymous visitors, mixed)."""

    in_crm: np.ndarray  # has contact rows (else an anonymous visitor who never signs up)
    gender: np.ndarray  # 0 female, 1 male, 2 other (people.GENDERS)
    birth_ordinal: np.ndarray  # date.toordinal() of the birth date
    age_band: np.ndarray  # 0 < 30, 1 30-49, 2 50+
    country: np.ndarray  # index into COUNTRIES
    city: np.ndarray  # index into CITIES
    lifecycle: np.ndarray  # index into people.LIFECYCLES
    session_rate: np.ndarray  # expected web sessions a day
    preferred_category: np.ndarray
    category_affinity: np.ndarray  # (persons, categories), rows sum to 1
    price_level: np.ndarray  # 0 low, 1 mid, 2 high
    device_count: np.ndarray
    extra_contacts: np.ndarray  # duplicate contact rows (0-2)
    contact_offset: np.ndarray  # the person's contact rows are contact_numbers[offset[i]:offset[i + 1]]
    contact_numbers: np.ndarray
    signup_ms: np.ndarray
    churn_ms: np.ndarray  # churned persons: no activity from here on
    last_activity_ms: np.ndarray  # inactive persons: their last (old) order
    opted_in: np.ndarray
    first_names: list
    last_names: list
    emails: list
    alt_emails: list  # a second address (typed into a duplicate row, used for some orders)


@dataclass
class Plan:
    seed: int
    out: Path
    parts: Path
    as_of_ms: int
    day_starts: list[int]  # ms of each received day of the window, oldest first
    day_names: list[str]
    gzip_every: int
    shard_count: int
    shard_bounds: list[int]  # shard s holds persons shard_bounds[s]:shard_bounds[s + 1]
    persons: Persons
    catalog: Catalog
    campaigns: dict[int, list[Campaign]]  # day index -> the campaigns sent that day
    time_zone_transitions: dict  # zone -> (instants ms, offset minutes from that instant)


def build_plan(out: Path, contacts: int, days: int, seed: int, as_of: datetime, gzip_every: int,
               progress) -> tuple[Plan, list]:
    """(the plan, catalog/products.csv rows)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    rand = random.Random(seed * 7919 + 17)
    as_of_ms = int(round(as_of.timestamp() * 1000))
    as_of_day = as_of_ms // DAY_MS
    last_day = as_of_day if as_of_ms % DAY_MS else as_of_day - 1
    day_numbers = list(range(last_day - days + 1, last_day + 1))
    day_starts = [d * DAY_MS for d in day_numbers]

    persons = _draw_persons(rng, rand, contacts, as_of_ms, day_starts)
    if progress:
        n_persons, n_crm = len(persons.in_crm), int(persons.in_crm.sum())
        progress(f"persons: {n_persons:,} ({n_crm:,} in CRM, {n_persons - n_crm:,} anonymous visitors), "
                 f"{contacts:,} contact rows")

    n_products = max(200, contacts // 200)
    product_rows, catalog = make_catalog(rng, rand, n_products, as_of_ms)
    campaigns = plan_campaigns(rng, day_starts)

    shard_count = max(1, min(MAX_SHARDS, -(-contacts // CONTACTS_PER_SHARD)))
    n_persons = len(persons.in_crm)
    years = range(date.fromordinal(EPOCH_ORDINAL + day_starts[0] // DAY_MS).year - 8,
                  date.fromordinal(EPOCH_ORDINAL + as_of_day).year + 4)
    plan = Plan(
        seed=seed, out=out, parts=out / PARTS_FOLDER, as_of_ms=as_of_ms, day_starts=day_starts,
        day_names=[iso_date(d) for d in day_numbers], gzip_every=gzip_every, shard_count=shard_count,
        shard_bounds=[int(round(n_persons * k / shard_count)) for k in range(shard_count + 1)],
        persons=persons, catalog=catalog, campaigns=campaigns,
        time_zone_transitions={z: time_zone_transitions(z, years) for z in TIME_ZONES},
    )
    return plan, product_rows


def _extra_contact_rows(rng: np.random.Generator, contacts: int) -> np.ndarray:
    """Duplicate rows (0-2) per CRM person, adjusted until the CRM has exactly `contacts` rows."""
    n_crm = max(1, int(round(contacts / (1 + DUPLICATE_PERSON_RATE * 1.4))))
    extras = np.zeros(n_crm, dtype=np.int64)
    dup = rng.random(n_crm) < DUPLICATE_PERSON_RATE
    extras[dup] = rng.choice([1, 2], p=[0.6, 0.4], size=int(dup.sum()))
    diff = contacts - (n_crm + int(extras.sum()))
    order = rng.permutation(n_crm)
    k = 0
    while diff != 0:
        if k >= n_crm:
            if diff > 0:  # cannot happen for sane sizes; grow the CRM
                extras = np.append(extras, 0)
                n_crm += 1
                order = np.append(order, n_crm - 1)
                diff -= 1
            k = 0
            continue
        i = order[k]
        if diff > 0 and extras[i] < 2:
            extras[i] += 1
            diff -= 1
        elif diff < 0 and extras[i] > 0:
            extras[i] -= 1
            diff += 1
        k += 1
    return extras


def _draw_persons(rng: np.random.Generator, rand: random.Random, contacts: int, as_of_ms: int,
                  day_starts: list[int]) -> Persons:
    win_start = day_starts[0]
    extras = _extra_contact_rows(rng, contacts)
    n_crm = len(extras)
    n_anon = int(round(n_crm * ANONYMOUS_VISITOR_RATE))
    P = n_crm + n_anon
    in_crm = np.zeros(P, dtype=bool)
    in_crm[np.sort(rng.permutation(P)[:n_crm])] = True
    ext = np.zeros(P, dtype=np.int64)
    ext[in_crm] = extras
    rows_per = np.where(in_crm, 1 + ext, 0)
    contact_off = np.concatenate([[0], np.cumsum(rows_per)]).astype(np.int64)
    contact_nums = rng.permutation(contacts).astype(np.int64) + 1

    gender = rng.choice(3, size=P, p=[0.505, 0.485, 0.01]).astype(np.int8)
    age_bins = np.array([[18, 24], [25, 34], [35, 44], [45, 54], [55, 64], [65, 85]])
    b = rng.choice(6, size=P, p=[0.12, 0.22, 0.20, 0.18, 0.15, 0.13])
    age_years = rng.integers(age_bins[b, 0], age_bins[b, 1] + 1)
    as_of_ord = EPOCH_ORDINAL + as_of_ms // DAY_MS
    birth_ord = (as_of_ord - (age_years + rng.random(P)) * 365.2425).astype(np.int64)
    ageband = np.where(age_years < 30, 0, np.where(age_years < 50, 1, 2)).astype(np.int8)
    country = rng.choice(len(COUNTRIES), size=P, p=np.array(COUNTRY_WEIGHTS) / sum(COUNTRY_WEIGHTS))
    city = np.zeros(P, dtype=np.int64)
    for ci, c in enumerate(COUNTRIES):
        idx = [k for k in range(len(CITIES)) if CITY_COUNTRY[k] == c]
        pops = np.array([CITY_POPULATION_K[k] for k in idx], dtype=float)
        big = pops >= 100
        w = np.where(big, pops / pops[big].sum() * 0.64, np.sqrt(pops) / np.sqrt(pops[~big]).sum() * 0.36)
        sel = country == ci
        city[sel] = rng.choice(idx, size=int(sel.sum()), p=w / w.sum())
    urban = np.array(CITY_URBAN)[city].astype(np.int64)

    life = np.where(in_crm, rng.choice(5, size=P, p=[0.25, 0.40, 0.12, 0.15, 0.08]),
                    rng.choice(2, size=P, p=[0.3, 0.7])).astype(np.int8)
    base_rate = np.array([0.30, 0.065, 0.16, 0.0, 0.28])[life]
    act = np.exp(rng.normal(-0.18, 0.6, size=P)) * np.where(ageband == 0, 1.15, np.where(ageband == 2, 0.85, 1.0))
    rate = base_rate * act * np.where(in_crm, 1.0, 0.45)

    logits = (CATEGORY_BASE_LOGIT[None, :] + CATEGORY_GENDER_EFFECT[gender] + CATEGORY_AGE_EFFECT[ageband]
              + CATEGORY_URBAN_EFFECT[urban])
    logits = logits + rng.normal(0, 0.35, size=logits.shape)
    soft = np.exp(logits * 1.3)
    soft /= soft.sum(axis=1, keepdims=True)
    cum = np.cumsum(soft, axis=1)
    pref = (rng.random(P)[:, None] > cum).sum(axis=1).clip(0, len(CATEGORIES) - 1).astype(np.int8)
    affinity = 0.45 * np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    affinity[np.arange(P), pref] += 0.55
    price_level = rng.choice(3, size=P, p=[0.35, 0.45, 0.20])
    price_level = np.where((np.array(COUNTRIES)[country] == "CH") & (price_level == 0), 1, price_level).astype(np.int8)
    ndev = rng.choice([1, 2, 3], size=P, p=[0.55, 0.32, 0.13]).astype(np.int64)

    win_len = max(DAY_MS, as_of_ms - win_start)
    signup = np.full(P, NEVER_MS, dtype=np.int64)
    churn = np.full(P, NEVER_MS, dtype=np.int64)
    lastact = np.full(P, NEVER_MS, dtype=np.int64)
    u = rng.random(P)
    yrs = 365 * DAY_MS
    for li in range(5):
        sel = in_crm & (life == li)
        n = int(sel.sum())
        if not n:
            continue
        if li == 2:  # churned: stops some weeks before as_of
            churn[sel] = as_of_ms - (rng.uniform(21, 70, n) * DAY_MS).astype(np.int64)
            signup[sel] = churn[sel] - (rng.uniform(60, 5 * 365, n) * DAY_MS).astype(np.int64)
        elif li == 3:  # inactive: only old activity
            lastact[sel] = as_of_ms - (rng.uniform(120, 700, n) * DAY_MS).astype(np.int64)
            signup[sel] = lastact[sel] - (rng.uniform(0, 4, n) * yrs).astype(np.int64)
        elif li == 4:  # new: signs up during the window
            di = np.floor((0.15 + 0.85 * u[sel]) * len(day_starts)).astype(np.int64).clip(0, len(day_starts) - 1)
            tod = rng.uniform(8, 22, n) * HOUR_MS
            s = np.array(day_starts, dtype=np.int64)[di] + tod.astype(np.int64)
            s = np.minimum(s, as_of_ms - 30 * 60_000)
            signup[sel] = np.maximum(s, win_start + 10 * 60_000) if win_len > HOUR_MS else as_of_ms - 60_000
        else:
            signup[sel] = win_start - (rng.uniform(1, 6 * 365, n) * DAY_MS).astype(np.int64)
    signup -= signup % 1000
    optin = (rng.random(P) < 0.66) & in_crm

    first_names, last_names = [], []
    ru = rng.random((P, 2))
    for i in range(P):
        locale = CITY_LOCALE[city[i]]
        first_pool = FIRST_NAMES[(FIRST_NAME_LOCALE[locale], int(gender[i]) if gender[i] < 2 else int(ru[i, 0] < 0.5))]
        last_pool = LAST_NAMES[LAST_NAME_LOCALE[locale]]
        first_names.append(first_pool[int(ru[i, 0] * 7919) % len(first_pool)])
        last_names.append(last_pool[int(ru[i, 1] * len(last_pool))])
    emails, alts = draw_emails(rand, first_names, last_names, country, birth_ord, in_crm)
    return Persons(
        in_crm=in_crm, gender=gender, birth_ordinal=birth_ord, age_band=ageband, country=country, city=city,
        lifecycle=life, session_rate=rate, preferred_category=pref, category_affinity=affinity,
        price_level=price_level, device_count=ndev, extra_contacts=ext, contact_offset=contact_off,
        contact_numbers=contact_nums, signup_ms=signup, churn_ms=churn, last_activity_ms=lastact, opted_in=optin,
        first_names=first_names, last_names=last_names, emails=emails, alt_emails=alts,
    )


def draw_emails(rand: random.Random, first: list, last: list, country: np.ndarray, birth_ord: np.ndarray,
                in_crm: np.ndarray) -> tuple[list, list]:
    """Two distinct addresses per person (the true one, an alternative), made of the names; a few CRM persons
    use a small business's role address."""
    used: set[str] = set()
    emails, alts = [], []
    domain_tables = {c: WeightedTable(tuple(FREEMAIL_DOMAINS[c]) + OTHER_DOMAINS) for c in COUNTRIES}
    for i in range(len(first)):
        c = COUNTRIES[country[i]]
        f, l = email_local_part(first[i]), email_local_part(last[i])  # noqa: E741
        yy = f"{date.fromordinal(int(birth_ord[i])).year % 100:02d}"
        res = []
        for attempt in range(2):
            if attempt == 0 and in_crm[i] and rand.random() < ROLE_ADDRESS_RATE:
                local = rand.choice(ROLE_LOCAL_PARTS)
                dom = f"{l}-{rand.choice(COMPANY_TRADES)}.example"
            else:
                pat = rand.random()
                if pat < 0.30:
                    local = f"{f}.{l}"
                elif pat < 0.40:
                    local = f"{f}{l}"
                elif pat < 0.50:
                    local = f"{f[:1]}.{l}"
                elif pat < 0.55:
                    local = f"{f}_{l}"
                elif pat < 0.65:
                    local = f"{f}.{l}{yy}"
                elif pat < 0.75:
                    local = f"{f}{l}{rand.randint(1, 99)}"
                elif pat < 0.80:
                    local = f"{l}.{f}"
                elif pat < 0.90:
                    local = f"{f}{rand.randint(100, 9999)}"
                else:
                    local = f"{f[:1]}{l}"
                dom = weighted_choice(rand, domain_tables[c])
            e = f"{local}@{dom}"
            while e in used:
                e = f"{local}{rand.randint(1, 9999)}@{dom}"
            used.add(e)
            res.append(e)
        emails.append(res[0])
        alts.append(res[1])
    return emails, alts
