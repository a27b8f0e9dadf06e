"""A shard's people as the data sees them: devices (anonymous ids, user agents), CRM contact rows with the
export's mess, identify traits, the mailable addresses, suppressions from before the window, the ground truth,
and the per-person browsing habits sessions draw from."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import numpy as np

from orchestration.lib.sample_data.assortment import CATEGORIES
from orchestration.lib.sample_data.clock import DAY_MS, HOUR_MS, iso_seconds
from orchestration.lib.sample_data.contract import HISTORICAL_SUPPRESSION_RATE
from orchestration.lib.sample_data.geography import (
    CITY_NAME,
    CITY_PHONE_AREA,
    CITY_POSTAL_SPEC,
    CITY_TIME_ZONE,
    CITY_VARIANTS,
    COUNTRIES,
    COUNTRY_CURRENCY_INDEX,
    COUNTRY_NAMES,
    TIME_ZONES,
)
from orchestration.lib.sample_data.messy_values import (
    accent_variant,
    case_whitespace_variant,
    draw_phone_number,
    email_case_whitespace_variant,
    format_phone,
    malformed_email,
    name_variant,
    postal_code,
    typo_email,
)
from orchestration.lib.sample_data.people import (
    DUPLICATE_CONTACT_SOURCES,
    FREEMAIL_DOMAINS,
    GENDER_SPELLINGS,
    GENDERS,
    HISTORICAL_SUPPRESSION_REASONS,
    LIFECYCLES,
    PRIMARY_CONTACT_SOURCES,
)
from orchestration.lib.sample_data.plan import Plan
from orchestration.lib.sample_data.text import compact_json, random_uuid
from orchestration.lib.sample_data.tracking import IP_PREFIXES, USER_AGENTS
from orchestration.lib.sample_data.weighted import weighted_choice

_TRAIT_COLUMNS = (("email", 1), ("first_name", 2), ("last_name", 3), ("phone", 4), ("city", 7), ("gender", 5),
                  ("birth_date", 6))  # identify trait -> its column in a contact row


class MailRecipient(NamedTuple):
    """A mailable contact row (opted in, a well-formed address, not the same address as the rows just before)."""

    person: int  # index within the shard
    contact_id: str
    person_index: int  # global index
    email: str  # normalized (stripped, lower case)
    hard_bounce: bool  # an address nobody reads: misspelt, or a company domain of someone else
    user_id_json: str  # ',"userId":"<contact id>"'


@dataclass
class Devices:
    """All devices of a shard, by device index; a person's are first_device[p] .. + device_count[p]."""

    anonymous_id: list
    context_prefix: list  # ',"context":{"ip":..,"userAgent":..,"page":{"url":"'
    timestamp_style: list  # 0 ISO with ms and Z, 1 without ms, 2 + k local time of TIME_ZONES[k] with offset
    known: list  # the person has signed in on it (mutated by sessions)
    mobile: list
    anonymous_ids_json: list  # ',"userId":null,"anonymousId":"<id>"'


@dataclass
class ContactPerson:
    """What a person's contact rows are made from (the truth, before the mess)."""

    country: str
    city: str
    postal_code: str
    phone_number: tuple[str, str]  # (area or mobile prefix, subscriber number)
    gender: int
    birth_date: str
    first_name: str
    last_name: str
    email: str
    alt_email: str
    signup_ms: int
    opted_in: bool


@dataclass
class ShardPopulation:
    """A shard's persons by index p (global index first + p)."""

    first: int
    count: int
    # written to part files once, then dropped
    contact_rows: list
    truth_contacts: list
    truth_devices: list
    truth_persons: list
    contact_ids: list  # [p] the person's contact ids, primary first (empty: anonymous visitor)
    traits_json: dict  # contact id -> identify traits object
    mail_recipients: list[MailRecipient]
    suppressions: dict  # email -> (reason, at ms); grows during the window
    email: list  # [p] the true address
    alt_email: list  # [p] the alternative address
    currency: list  # [p] index into CURRENCIES
    first_device: list
    device_count: list
    devices: Devices
    signup_ms: list
    churn_ms: list
    lifecycle: list
    preferred_category: list
    category_picks: list  # [p] 16 categories drawn from the person's affinity
    product_list_key: list  # [p] index into Catalog.product_lists (gender, age band, price level)
    cart_intent: list  # [p] chance that a session goes on to the cart
    browse_depth: list  # [p] mean number of product views of a session


def build_population(plan: Plan, first: int, end: int, rand: random.Random,
                     rng: np.random.Generator) -> ShardPopulation:
    """The shard's persons first .. end - 1; draws from `rand` and `rng` in a fixed order."""
    persons = plan.persons
    rnd = rand.random
    getrandbits = rand.getrandbits
    n = end - first
    contact_rows, truth_contacts, truth_devices, truth_persons = [], [], [], []
    contact_ids, emails, currencies, first_device = [], [], [], []
    traits: dict[str, str] = {}
    recipients: list[MailRecipient] = []
    devices = Devices([], [], [], [], [], [])
    as_of_ms = plan.as_of_ms
    win_start = plan.day_starts[0]
    country = persons.country[first:end].tolist()
    cityl = persons.city[first:end].tolist()
    genderl = persons.gender[first:end].tolist()
    birthl = persons.birth_ordinal[first:end].tolist()
    prefl = persons.preferred_category[first:end].tolist()
    lifel = persons.lifecycle[first:end].tolist()
    in_crm = persons.in_crm[first:end].tolist()
    signupl = persons.signup_ms[first:end].tolist()
    ndevl = persons.device_count[first:end].tolist()
    extrasl = persons.extra_contacts[first:end].tolist()
    offl = persons.contact_offset[first:end].tolist()
    optl = persons.opted_in[first:end].tolist()
    nums = persons.contact_numbers
    free = {c: {d for d, _ in FREEMAIL_DOMAINS[c]} for c in COUNTRIES}
    ua_json = {k: [compact_json(u) for u in v] for k, v in USER_AGENTS.items()}
    for pi in range(n):
        i = first + pi
        c = COUNTRIES[country[pi]]
        ci = cityl[pi]
        city = CITY_NAME[ci]
        gi = genderl[pi]
        birth = date.fromordinal(birthl[pi]).isoformat()
        email = persons.emails[i]
        emails.append(email)
        currencies.append(COUNTRY_CURRENCY_INDEX.get(c, 0))
        tzi = TIME_ZONES.index(CITY_TIME_ZONE[ci])
        pid = f"P{i + 1:07d}"
        truth_persons.append((pid, GENDERS[gi], birth, city, c, CATEGORIES[prefl[pi]], LIFECYCLES[lifel[pi]]))
        # devices
        first_device.append(len(devices.anonymous_id))
        registered_before = in_crm[pi] and signupl[pi] < win_start
        for k in range(ndevl[pi]):
            aid = random_uuid(getrandbits)
            r = rnd()
            kind = "mobile" if r < 0.55 else ("desktop" if r < 0.90 else "tablet")
            uas = ua_json[kind]
            ip = IP_PREFIXES[int(rnd() * 3)] + str(1 + int(rnd() * 254))
            devices.anonymous_id.append(aid)
            devices.context_prefix.append(',"context":{"ip":"' + ip + '","userAgent":' + uas[int(rnd() * len(uas))]
                                          + ',"page":{"url":"')
            r = rnd()
            devices.timestamp_style.append(0 if r < 0.7 else (1 if r < 0.8 else 2 + tzi))
            devices.known.append(registered_before and rnd() < (0.6 if k == 0 else 0.3))
            devices.mobile.append(kind == "mobile")
            devices.anonymous_ids_json.append(',"userId":null,"anonymousId":"' + aid + '"')
            truth_devices.append((aid, pid))
        # contacts
        cids = []
        if in_crm[pi]:
            number = draw_phone_number(rand, c, CITY_PHONE_AREA[ci])
            person = ContactPerson(
                country=c, city=city, postal_code=postal_code(rand, c, CITY_POSTAL_SPEC[ci]), phone_number=number,
                gender=gi, birth_date=birth, first_name=persons.first_names[i], last_name=persons.last_names[i],
                email=email, alt_email=persons.alt_emails[i], signup_ms=signupl[pi], opted_in=optl[pi],
            )
            for r_i in range(1 + extrasl[pi]):
                cid = f"C{1_000_000 + int(nums[offl[pi] + r_i]):07d}"
                cids.append(cid)
                if r_i and rnd() < 0.15:  # a new phone since the first sign-up
                    person.phone_number = draw_phone_number(rand, c, CITY_PHONE_AREA[ci])
                row, opt = crm_row(rand, cid, person, r_i > 0, as_of_ms)
                contact_rows.append(row)
                truth_contacts.append((cid, pid))
                tr = {}
                for key, col in _TRAIT_COLUMNS:
                    v = row[col].strip()
                    if v:
                        tr[key] = v
                traits[cid] = compact_json(tr)
                e = row[1].strip().lower()
                if opt and e.count("@") == 1 and " " not in e and not e.endswith(".") \
                        and "." in e.partition("@")[2] and all(s.email != e for s in recipients[-3:]):
                    bounce = e.partition("@")[2] not in free[c] and e != email.lower() and e != person.alt_email.lower()
                    recipients.append(MailRecipient(pi, cid, i, e, bounce, ',"userId":"' + cid + '"'))
        contact_ids.append(cids)
    # per-person category picks (16 draws from the affinity vector)
    cum = np.cumsum(persons.category_affinity[first:end], axis=1)
    cum /= cum[:, -1:]
    draws = (rng.random((n, 16))[:, :, None] > cum[:, None, :]).sum(axis=2).clip(0, len(CATEGORIES) - 1)
    life = persons.lifecycle[first:end]
    intent = (np.array([0.24, 0.20, 0.18, 0.1, 0.26])[life] * np.where(persons.in_crm[first:end], 1.0, 0.55)
              * np.exp(rng.normal(0, 0.3, n))).tolist()
    depth = (np.where(persons.age_band[first:end] == 0, 2.6, 2.0) * np.exp(rng.normal(0, 0.25, n))).tolist()
    population = ShardPopulation(
        first=first, count=n, contact_rows=contact_rows, truth_contacts=truth_contacts,
        truth_devices=truth_devices, truth_persons=truth_persons, contact_ids=contact_ids, traits_json=traits,
        mail_recipients=recipients, suppressions={}, email=emails, alt_email=persons.alt_emails[first:end],
        currency=currencies, first_device=first_device, device_count=ndevl, devices=devices, signup_ms=signupl,
        churn_ms=persons.churn_ms[first:end].tolist(), lifecycle=lifel, preferred_category=prefl,
        category_picks=draws.astype(np.int64).tolist(),
        product_list_key=(persons.gender[first:end].astype(np.int64) * 9 + persons.age_band[first:end] * 3
                          + persons.price_level[first:end]).tolist(),
        cart_intent=intent, browse_depth=depth,
    )
    _suppress_before_window(population, rand, win_start)
    return population


def _suppress_before_window(population: ShardPopulation, rand: random.Random, win_start: int) -> None:
    """Historical suppressions of mailable addresses, and erasure requests (also from contacts that never
    opted in)."""
    rnd = rand.random
    supp = population.suppressions
    for (pi, cid, i, e, bounce, _) in population.mail_recipients:
        if e in supp:
            continue
        r = rnd()
        s0 = population.signup_ms[pi]
        if bounce and r < 0.5:
            supp[e] = ("bounced", min(s0 + int(rand.uniform(1, 60) * DAY_MS), win_start - 1000))
        elif r < HISTORICAL_SUPPRESSION_RATE:
            reason = weighted_choice(rand, HISTORICAL_SUPPRESSION_REASONS)
            at = int(rand.uniform(min(max(s0, win_start - 3 * 365 * DAY_MS), win_start - DAY_MS), win_start))
            supp[e] = (reason, at)
    for row in population.contact_rows:
        e = row[1].strip().lower()
        if e and "@" in e and e not in supp and rnd() < 0.002:
            supp[e] = ("erasure", int(win_start - rand.uniform(0, 400) * DAY_MS))


def crm_row(rand: random.Random, contact_id: str, person: ContactPerson, heavy: bool,
            as_of_ms: int) -> tuple[tuple, bool]:
    """(a crm/contacts.csv row of `person`, whether it is opted in); `heavy`: a duplicate row, messier."""
    rnd = rand.random
    c, city, email = person.country, person.city, person.email
    fn = name_variant(person.first_name, rand, heavy)
    ln = name_variant(person.last_name, rand, heavy)
    k = rnd()
    if not heavy:
        em = email if k < 0.92 else (email_case_whitespace_variant(email, rand) if k < 0.965 else
                                     ("" if k < 0.985 else malformed_email(email, rand)))
    else:
        em = (email if k < 0.15 else email_case_whitespace_variant(email, rand) if k < 0.45
              else typo_email(email, rand) if k < 0.60 else person.alt_email if k < 0.85
              else "" if k < 0.95 else malformed_email(email, rand))
    ph = format_phone(rand, c, person.phone_number, heavy) if rnd() < (0.8 if not heavy else 0.6) else ""
    spelling_locale = "DE" if c in ("DE", "AT", "CH") else ("FR" if c == "FR" else "XX")
    gs = (weighted_choice(rand, GENDER_SPELLINGS[(spelling_locale, person.gender)])
          if rnd() < (0.85 if not heavy else 0.6) else "")
    r = rnd()
    bd = person.birth_date if r < (0.75 if not heavy else 0.5) else ("1900-01-01" if r > 0.997 else "")
    r = rnd()
    if r < 0.90:
        ct = city
    elif r < 0.95:
        variants = CITY_VARIANTS.get(city)
        ct = rand.choice(variants) if variants and rnd() < 0.6 else case_whitespace_variant(city, rand)
    else:
        ct = ""
    if heavy and ct and rnd() < 0.2:
        ct = accent_variant(ct, rand)
    pc = person.postal_code if rnd() < 0.9 else ""
    r = rnd()
    co = c if r < 0.75 else (rand.choice(COUNTRY_NAMES[c]) if r < 0.95 else (c.lower() if r < 0.98 else ""))
    if heavy:
        created = person.signup_ms + int(rand.uniform(-400, 400) * DAY_MS)
        created = min(created, as_of_ms - HOUR_MS)
        src = weighted_choice(rand, DUPLICATE_CONTACT_SOURCES)
    else:
        created = person.signup_ms
        src = weighted_choice(rand, PRIMARY_CONTACT_SOURCES)
    created -= created % 1000
    updated = created + int(rnd() ** 3 * max(0, as_of_ms - created))
    updated = min(updated - updated % 1000, as_of_ms)
    opt = person.opted_in if not heavy else (rnd() < 0.5)
    r = rnd()
    if r < 0.08:
        ov = ""
        opt = False
    else:
        ov = ("true", "true", "1", "yes")[int(rnd() * 4)] if opt else ("false", "false", "0", "no")[int(rnd() * 4)]
    return (contact_id, em, fn, ln, ph, gs, bd, ct, pc, co, iso_seconds(created), iso_seconds(updated), ov, src), opt
