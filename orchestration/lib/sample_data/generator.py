"""Realistic, deterministic sample data for the microseg landing folder.

Pure Python (stdlib + numpy, no dagster).  ``generate(out_dir, ...)`` writes a landing folder
that follows ``DATA_CONTRACT.md``::

    OUT/events/YYYY-MM-DD/events-NNN.jsonl[.gz]   Segment-spec events, one file per shard and day
    OUT/crm/contacts.csv                          messy CRM export (duplicates, typos, formats)
    OUT/orders/orders.csv, OUT/orders/order_items.csv
    OUT/catalog/products.csv
    OUT/suppression/suppression.csv
    OUT/ground_truth/{contacts,devices,persons}.csv, OUT/ground_truth/manifest.json

Determinism: the same arguments give byte-identical files.  Every random draw comes from numpy
``default_rng`` / ``random.Random`` seeded from ``seed`` (per shard), nothing reads the wall
clock (``as_of`` defaults to ``DEFAULT_AS_OF``), nothing iterates over sets or hashes, gzip
headers carry no mtime.  Persons are split into shards of ~12,500 contacts (at most 8, a fixed
function of ``contacts``, never of the CPU count); shards run in forked worker processes and each
writes its own ``events-NNN`` file per day, so the output does not depend on ``workers``.

Streaming: events are generated and written one received day at a time per shard; per-person
state is a few arrays/lists, so memory does not grow with ``days``.  Volume is ~1.1 event lines
per person-day (web sessions + email), i.e. ~100 per person over 90 days.

The world: persons (hidden truth in ground_truth/persons.csv) have gender, birth date, a real
city of DE/FR/GB/US/ES/IT/NL/AT/CH (big cities and small towns/villages, plausible postal codes
and phone area codes), a preferred category and price level drawn from gender/age/urban effects,
a lifecycle (``active``, ``occasional``, ``churned`` = no activity for the last 3-10 weeks,
``inactive`` = only orders months ago, ``new`` = signs up inside the window) and 1-3 devices.
~10 % more persons are anonymous visitors who never sign up.  Web sessions run landing page ->
list/search -> product views -> cart (adds/removes/cart view, abandonment) -> checkout ->
``Order Completed``; registered people sign in part-way (``identify`` + ``Signed In``) so earlier
anonymous events of the device get linked.  Email campaigns (two newsletters a week plus promos,
some A/B) produce delivered/bounced/opened/clicked/unsubscribed/spam events (userId only) and
click-through sessions.  Every ``Order Completed`` has its row in orders.csv; store (POS) and
historical orders have no events.  ~9 % of CRM persons have 2-3 contact rows with typos, accent,
case and whitespace variants, changed or mistyped emails and phones in many formats.  Suppression
rows come from bounces/unsubscribes/complaints in the window plus older ones and erasures.
Event lines are ASCII (non-ASCII characters are JSON-escaped); key order is type, messageId,
timestamp, userId, anonymousId, event/name, properties/traits, context.

Injected event mess (per event line; every injected line has exactly one defect, and each
kind is counted exactly in the stats / manifest):

====================  ========  ===============================================================
kind                  rate      what the line looks like
====================  ========  ===============================================================
malformed_json        0.10 %    truncated or garbled JSON (not parseable)
missing_message_id    0.10 %    ``messageId`` absent, null or ""
missing_timestamp     0.08 %    ``timestamp`` absent or null
bad_timestamp         0.10 %    unparsable ``timestamp`` ("yesterday", "2026-13-45T25:00:00Z", ...)
missing_identity      0.08 %    ``userId`` and ``anonymousId`` both absent / null
future_timestamp      0.05 %    timestamp 3 days .. 2 years after the end of the received day
near_future           0.05 %    valid; timestamp up to 20 h after the end of the received day
redelivered           1.0 %     after a valid line: an exact copy of an earlier valid line
                                (same file or a later day's file of the same shard)
late                  1.25 %    of web sessions: delivered 1-5 days after they happened (~1 % of lines)
unknown_event         0.65 %    per session step: an extra track event named outside the contract
                                table ("Coupon Applied", "Wishlist Item Added", ...) (~0.3 % of lines)
====================  ========  ===============================================================

The first six are quarantine reasons; ``event_lines == valid_events + redelivered +
sum(quarantine.values())`` always holds.  ``late`` counts valid first deliveries whose
timestamp is before the start of their received day; ``near_future`` those at or after its
end; ``unknown_event`` valid first deliveries of track events outside the contract's table.
Other rates (duplicates, anonymous visitors, suppression, POS orders, ...) are module constants
and are written to the manifest with the ones above.
"""

from __future__ import annotations

import csv
import gc
import gzip
import json
import math
import multiprocessing as mp
import os
import queue
import random
import re
import shutil
import time
import unicodedata
from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Callable
from urllib.parse import quote_plus

import numpy as np

__all__ = ["DEFAULT_AS_OF", "GenerationStats", "generate", "RATES"]

DEFAULT_AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)

# ------------------------------------------------------------------------- injected rates
MALFORMED_JSON_RATE = 0.0010
MISSING_MESSAGE_ID_RATE = 0.0010
MISSING_TIMESTAMP_RATE = 0.0008
BAD_TIMESTAMP_RATE = 0.0010
MISSING_IDENTITY_RATE = 0.0008
FUTURE_TIMESTAMP_RATE = 0.0005
NEAR_FUTURE_RATE = 0.0005
REDELIVERED_RATE = 0.010
LATE_SESSION_RATE = 0.0125
UNKNOWN_EVENT_RATE = 0.0065  # chance of an extra unknown event at each eligible point of a session

# --------------------------------------------------------------------------- other rates
ANONYMOUS_VISITOR_RATE = 0.10  # never-identified visitors, relative to CRM persons
DUPLICATE_PERSON_RATE = 0.09  # CRM persons with 2-3 contact rows
HISTORICAL_SUPPRESSION_RATE = 0.025  # mailable emails suppressed before the window
ROLE_ADDRESS_RATE = 0.005
POS_ORDER_RATE = 0.0015  # in-window store orders per CRM person-day (active persons)
POS_UNATTRIBUTED_SHARE = 0.06  # store orders naming neither a contact nor an email

QUARANTINE_REASONS = (
    "malformed_json",
    "missing_message_id",
    "missing_timestamp",
    "bad_timestamp",
    "missing_identity",
    "future_timestamp",
)
_DEFECT_RATES = (
    MALFORMED_JSON_RATE,
    MISSING_MESSAGE_ID_RATE,
    MISSING_TIMESTAMP_RATE,
    BAD_TIMESTAMP_RATE,
    MISSING_IDENTITY_RATE,
    FUTURE_TIMESTAMP_RATE,
)

_CUM_DEFECT = np.cumsum(_DEFECT_RATES)
_NEAR_CUT = float(_CUM_DEFECT[-1]) + NEAR_FUTURE_RATE

RATES: dict[str, float] = {
    "malformed_json": MALFORMED_JSON_RATE,
    "missing_message_id": MISSING_MESSAGE_ID_RATE,
    "missing_timestamp": MISSING_TIMESTAMP_RATE,
    "bad_timestamp": BAD_TIMESTAMP_RATE,
    "missing_identity": MISSING_IDENTITY_RATE,
    "future_timestamp": FUTURE_TIMESTAMP_RATE,
    "near_future": NEAR_FUTURE_RATE,
    "redelivered": REDELIVERED_RATE,
    "late_session": LATE_SESSION_RATE,
    "unknown_event": UNKNOWN_EVENT_RATE,
    "anonymous_visitor": ANONYMOUS_VISITOR_RATE,
    "duplicate_person": DUPLICATE_PERSON_RATE,
    "historical_suppression": HISTORICAL_SUPPRESSION_RATE,
    "role_address": ROLE_ADDRESS_RATE,
    "pos_order_per_person_day": POS_ORDER_RATE,
    "pos_unattributed_share": POS_UNATTRIBUTED_SHARE,
}

CONTRACT_EVENTS = frozenset(
    {
        "Product Viewed",
        "Product List Viewed",
        "Products Searched",
        "Product Added",
        "Product Removed",
        "Cart Viewed",
        "Checkout Started",
        "Order Completed",
        "Signed Up",
        "Signed In",
        "Video Playback Started",
        "Email Delivered",
        "Email Opened",
        "Email Link Clicked",
        "Email Bounced",
        "Email Marked as Spam",
        "Unsubscribed",
    }
)

CONTACT_COLUMNS = (
    "contact_id", "email", "first_name", "last_name", "phone", "gender", "birth_date", "city",
    "postal_code", "country", "created_at", "updated_at", "email_opt_in", "source",
)
ORDER_COLUMNS = ("order_id", "contact_id", "email", "ordered_at", "status", "currency", "total")
ORDER_ITEM_COLUMNS = ("order_id", "product_id", "quantity", "unit_price")
PRODUCT_COLUMNS = (
    "product_id", "name", "category", "subcategory", "price", "is_new_arrival", "launched_at",
    "url", "image_url",
)
SUPPRESSION_COLUMNS = ("email", "reason", "at")
GT_PERSON_COLUMNS = (
    "person_id", "gender", "birth_date", "city", "country", "preferred_category", "lifecycle",
)

_DAY_MS = 86_400_000
_HOUR_MS = 3_600_000
_SHARD_CONTACTS = 12_500
_MAX_SHARDS = 8
_RING = 4096
_SHOP = "https://shop.example.com"
_PARTS = ".generate-parts"
_ENC = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode  # ASCII-only event lines


@dataclass
class GenerationStats:
    persons: int = 0
    contacts: int = 0
    duplicate_contacts: int = 0
    devices: int = 0
    products: int = 0
    orders: int = 0
    order_items: int = 0
    unattributed_orders: int = 0
    suppressed: int = 0
    event_lines: int = 0
    valid_events: int = 0
    redelivered: int = 0
    late: int = 0
    near_future: int = 0
    unknown_event: int = 0
    quarantine: dict[str, int] = field(default_factory=lambda: {r: 0 for r in QUARANTINE_REASONS})
    day_folders: int = 0
    files: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["quarantine"] = {r: int(self.quarantine.get(r, 0)) for r in QUARANTINE_REASONS}
        return d


class _W:
    """A weighted choice table built from ((value, weight), ...)."""

    __slots__ = ("vals", "cum", "total")

    def __init__(self, items):
        self.vals = [v for v, _ in items]
        acc, self.cum = 0.0, []
        for _, w in items:
            acc += w
            self.cum.append(acc)
        self.total = acc


# =========================================================================== static data
COUNTRIES = ("DE", "FR", "GB", "US", "ES", "IT", "NL", "AT", "CH")
COUNTRY_WEIGHTS = (0.30, 0.15, 0.12, 0.12, 0.08, 0.08, 0.06, 0.05, 0.04)
CURRENCIES = ("EUR", "GBP", "USD")
_FX = (1.0, 0.86, 1.08)
_COUNTRY_CUR = {"GB": 1, "US": 2}
_CALLING = {"DE": "49", "FR": "33", "GB": "44", "US": "1", "ES": "34", "IT": "39", "NL": "31",
            "AT": "43", "CH": "41"}
_TRUNK0 = {"DE", "FR", "GB", "NL", "AT", "CH"}
_COUNTRY_NAMES = {
    "DE": ("Germany", "Deutschland"), "FR": ("France",), "GB": ("United Kingdom", "UK", "Great Britain"),
    "US": ("United States", "USA"), "ES": ("Spain", "España"), "IT": ("Italy", "Italia"),
    "NL": ("Netherlands", "Nederland"), "AT": ("Austria", "Österreich"),
    "CH": ("Switzerland", "Schweiz", "Suisse"),
}
_MOBILE = {"DE": ("151", "160", "170", "171", "176", "1520"), "FR": ("6", "7"), "GB": ("7700",),
           "US": (), "ES": ("6",), "IT": ("3",), "NL": ("6",), "AT": ("664", "676", "699"),
           "CH": ("76", "78", "79")}

# (name, country, population in thousands, kind, tz, phone area, postal spec, name locale)
# postal spec: (lo, hi) numeric range; ("GB", outward codes); ("NL", lo, hi); ("WIEN",)
_C = [
    ("Berlin", "DE", 3700, "EU", "30", (10115, 14199)), ("Hamburg", "DE", 1900, "EU", "40", (20095, 22769)),
    ("München", "DE", 1500, "EU", "89", (80331, 81929)), ("Köln", "DE", 1080, "EU", "221", (50667, 51149)),
    ("Frankfurt am Main", "DE", 770, "EU", "69", (60306, 60599)), ("Stuttgart", "DE", 630, "EU", "711", (70173, 70629)),
    ("Düsseldorf", "DE", 620, "EU", "211", (40210, 40629)), ("Leipzig", "DE", 600, "EU", "341", (4103, 4357)),
    ("Dresden", "DE", 560, "EU", "351", (1067, 1328)), ("Nürnberg", "DE", 520, "EU", "911", (90402, 90491)),
    ("Münster", "DE", 320, "EU", "251", (48143, 48167)), ("Freiburg im Breisgau", "DE", 230, "EU", "761", (79098, 79117)),
    ("Göttingen", "DE", 118, "EU", "551", (37073, 37085)), ("Bamberg", "DE", 77, "EU", "951", (96047, 96052)),
    ("Lüneburg", "DE", 76, "EU", "4131", (21335, 21339)), ("Wernigerode", "DE", 32, "EU", "3943", (38855, 38855)),
    ("Garmisch-Partenkirchen", "DE", 27, "EU", "8821", (82467, 82467)), ("Bad Tölz", "DE", 19, "EU", "8041", (83646, 83646)),
    ("Wittstock/Dosse", "DE", 14, "EU", "3394", (16909, 16909)), ("Rothenburg ob der Tauber", "DE", 11, "EU", "9861", (91541, 91541)),
    ("Zwiesel", "DE", 9, "EU", "9922", (94227, 94227)), ("Kühlungsborn", "DE", 8, "EU", "38293", (18225, 18225)),
    ("Meersburg", "DE", 6, "EU", "7532", (88709, 88709)), ("Oberammergau", "DE", 5, "EU", "8822", (82487, 82487)),
    ("Friedrichstadt", "DE", 2.5, "EU", "4881", (25840, 25840)),
    ("Paris", "FR", 2100, "EU", "1", (75001, 75020)), ("Marseille", "FR", 870, "EU", "4", (13001, 13016)),
    ("Lyon", "FR", 520, "EU", "4", (69001, 69009)), ("Toulouse", "FR", 500, "EU", "5", (31000, 31500)),
    ("Nice", "FR", 340, "EU", "4", (6000, 6300)), ("Nantes", "FR", 320, "EU", "2", (44000, 44300)),
    ("Strasbourg", "FR", 290, "EU", "3", (67000, 67200)), ("Bordeaux", "FR", 260, "EU", "5", (33000, 33800)),
    ("Lille", "FR", 235, "EU", "3", (59000, 59800)), ("Rennes", "FR", 220, "EU", "2", (35000, 35700)),
    ("Annecy", "FR", 130, "EU", "4", (74000, 74000)), ("Colmar", "FR", 67, "EU", "3", (68000, 68000)),
    ("Sarlat-la-Canéda", "FR", 8.8, "EU", "5", (24200, 24200)), ("Chamonix-Mont-Blanc", "FR", 8.6, "EU", "4", (74400, 74400)),
    ("Honfleur", "FR", 7, "EU", "2", (14600, 14600)), ("Gordes", "FR", 2, "EU", "4", (84220, 84220)),
    ("Saint-Émilion", "FR", 1.8, "EU", "5", (33330, 33330)), ("Étretat", "FR", 1.3, "EU", "2", (76790, 76790)),
    ("Riquewihr", "FR", 1.1, "EU", "3", (68340, 68340)), ("Rocamadour", "FR", 0.6, "EU", "5", (46500, 46500)),
    ("London", "GB", 8900, "UK", "20", ("GB", "SW1A", "EC1A", "WC2N", "N1", "E1", "SE1", "W1D", "NW1", "SW11", "E14")),
    ("Birmingham", "GB", 1140, "UK", "121", ("GB", "B1", "B2", "B5", "B15")),
    ("Leeds", "GB", 800, "UK", "113", ("GB", "LS1", "LS2", "LS6")), ("Glasgow", "GB", 630, "UK", "141", ("GB", "G1", "G2", "G3", "G12")),
    ("Manchester", "GB", 550, "UK", "161", ("GB", "M1", "M2", "M4", "M14")),
    ("Edinburgh", "GB", 520, "UK", "131", ("GB", "EH1", "EH2", "EH3")), ("Liverpool", "GB", 490, "UK", "151", ("GB", "L1", "L2", "L8")),
    ("Bristol", "GB", 470, "UK", "117", ("GB", "BS1", "BS2", "BS8")), ("Cardiff", "GB", 360, "UK", "29", ("GB", "CF10", "CF11", "CF24")),
    ("Whitby", "GB", 13, "UK", "1947", ("GB", "YO21", "YO22")), ("St Ives", "GB", 11, "UK", "1736", ("GB", "TR26")),
    ("Keswick", "GB", 5, "UK", "17687", ("GB", "CA12")), ("Ambleside", "GB", 2.6, "UK", "15394", ("GB", "LA22")),
    ("Portree", "GB", 2.5, "UK", "1478", ("GB", "IV51")), ("Hay-on-Wye", "GB", 1.6, "UK", "1497", ("GB", "HR3")),
    ("Tobermory", "GB", 1, "UK", "1688", ("GB", "PA75")), ("Bibury", "GB", 0.6, "UK", "1285", ("GB", "GL7")),
    ("Castle Combe", "GB", 0.4, "UK", "1249", ("GB", "SN14")),
    ("New York", "US", 8300, "US_E", "212", (10001, 10292)), ("Los Angeles", "US", 3900, "US_P", "213", (90001, 90089)),
    ("Chicago", "US", 2700, "US_C", "312", (60601, 60661)), ("Houston", "US", 2300, "US_C", "713", (77001, 77099)),
    ("Phoenix", "US", 1600, "US_AZ", "602", (85001, 85055)), ("Philadelphia", "US", 1600, "US_E", "215", (19102, 19154)),
    ("Austin", "US", 960, "US_C", "512", (78701, 78759)), ("San Francisco", "US", 810, "US_P", "415", (94102, 94134)),
    ("Seattle", "US", 740, "US_P", "206", (98101, 98199)), ("Boston", "US", 650, "US_E", "617", (2108, 2137)),
    ("Nantucket", "US", 14, "US_E", "508", (2554, 2554)), ("Sedona", "US", 10, "US_AZ", "928", (86336, 86336)),
    ("Jackson", "US", 10, "US_M", "307", (83001, 83001)), ("Taos", "US", 6, "US_M", "575", (87571, 87571)),
    ("Bar Harbor", "US", 5.5, "US_E", "207", (4609, 4609)), ("Bisbee", "US", 5, "US_AZ", "520", (85603, 85603)),
    ("Stowe", "US", 4.3, "US_E", "802", (5672, 5672)), ("Galena", "US", 3.2, "US_C", "815", (61036, 61036)),
    ("Marfa", "US", 1.8, "US_C", "432", (79843, 79843)), ("Mackinac Island", "US", 0.5, "US_E", "906", (49757, 49757)),
    ("Madrid", "ES", 3300, "EU", "91", (28001, 28055)), ("Barcelona", "ES", 1600, "EU", "93", (8001, 8042)),
    ("Valencia", "ES", 790, "EU", "96", (46001, 46026)), ("Sevilla", "ES", 680, "EU", "95", (41001, 41020)),
    ("Zaragoza", "ES", 670, "EU", "976", (50001, 50021)), ("Málaga", "ES", 580, "EU", "95", (29001, 29018)),
    ("Bilbao", "ES", 345, "EU", "94", (48001, 48015)), ("Ronda", "ES", 33, "EU", "95", (29400, 29400)),
    ("Mojácar", "ES", 7.5, "EU", "950", (4638, 4638)), ("Cudillero", "ES", 5, "EU", "985", (33150, 33150)),
    ("Frigiliana", "ES", 3, "EU", "95", (29788, 29788)), ("Cadaqués", "ES", 2.9, "EU", "972", (17488, 17488)),
    ("Potes", "ES", 1.4, "EU", "942", (39570, 39570)), ("Albarracín", "ES", 1, "EU", "978", (44100, 44100)),
    ("Roma", "IT", 2800, "EU", "06", (118, 199)), ("Milano", "IT", 1400, "EU", "02", (20121, 20162)),
    ("Napoli", "IT", 920, "EU", "081", (80121, 80147)), ("Torino", "IT", 850, "EU", "011", (10121, 10156)),
    ("Palermo", "IT", 630, "EU", "091", (90121, 90151)), ("Bologna", "IT", 390, "EU", "051", (40121, 40141)),
    ("Firenze", "IT", 370, "EU", "055", (50121, 50145)), ("Alberobello", "IT", 10.7, "EU", "080", (70011, 70011)),
    ("Sirmione", "IT", 8.2, "EU", "030", (25019, 25019)), ("Cortina d'Ampezzo", "IT", 5.8, "EU", "0436", (32043, 32043)),
    ("Positano", "IT", 3.9, "EU", "089", (84017, 84017)), ("Bellagio", "IT", 3.7, "EU", "031", (22021, 22021)),
    ("Bagnoregio", "IT", 3.6, "EU", "0761", (1022, 1022)), ("Orta San Giulio", "IT", 1.1, "EU", "0322", (28016, 28016)),
    ("Vernazza", "IT", 0.8, "EU", "0187", (19018, 19018)),
    ("Amsterdam", "NL", 870, "EU", "20", ("NL", 1011, 1109)), ("Rotterdam", "NL", 650, "EU", "10", ("NL", 3011, 3089)),
    ("Den Haag", "NL", 550, "EU", "70", ("NL", 2491, 2599)), ("Utrecht", "NL", 360, "EU", "30", ("NL", 3511, 3585)),
    ("Eindhoven", "NL", 235, "EU", "40", ("NL", 5611, 5658)), ("Groningen", "NL", 235, "EU", "50", ("NL", 9711, 9747)),
    ("Volendam", "NL", 22, "EU", "299", ("NL", 1131, 1131)), ("Den Burg", "NL", 7, "EU", "222", ("NL", 1791, 1791)),
    ("Ootmarsum", "NL", 4.4, "EU", "541", ("NL", 7631, 7631)), ("Giethoorn", "NL", 2.6, "EU", "521", ("NL", 8355, 8355)),
    ("Thorn", "NL", 2.6, "EU", "475", ("NL", 6017, 6017)), ("Marken", "NL", 1.8, "EU", "299", ("NL", 1156, 1156)),
    ("Hindeloopen", "NL", 0.9, "EU", "514", ("NL", 8713, 8713)), ("Bourtange", "NL", 0.4, "EU", "599", ("NL", 9545, 9545)),
    ("Wien", "AT", 1900, "EU", "1", ("WIEN",)), ("Graz", "AT", 290, "EU", "316", (8010, 8055)),
    ("Linz", "AT", 210, "EU", "732", (4020, 4040)), ("Salzburg", "AT", 155, "EU", "662", (5020, 5026)),
    ("Innsbruck", "AT", 130, "EU", "512", (6020, 6080)), ("Klagenfurt", "AT", 100, "EU", "463", (9020, 9020)),
    ("Bad Ischl", "AT", 14, "EU", "6132", (4820, 4820)), ("Zell am See", "AT", 10, "EU", "6542", (5700, 5700)),
    ("Kitzbühel", "AT", 8, "EU", "5356", (6370, 6370)), ("Lech", "AT", 1.5, "EU", "5583", (6764, 6764)),
    ("Heiligenblut", "AT", 1, "EU", "4824", (9844, 9844)), ("Dürnstein", "AT", 0.9, "EU", "2711", (3601, 3601)),
    ("Hallstatt", "AT", 0.8, "EU", "6134", (4830, 4830)),
    ("Zürich", "CH", 420, "EU", "44", (8001, 8099)), ("Genève", "CH", 200, "EU", "22", (1201, 1299), "FR"),
    ("Basel", "CH", 175, "EU", "61", (4001, 4059)), ("Lausanne", "CH", 140, "EU", "21", (1003, 1018), "FR"),
    ("Bern", "CH", 135, "EU", "31", (3001, 3027)), ("Zermatt", "CH", 5.8, "EU", "27", (3920, 3920)),
    ("Appenzell", "CH", 5.8, "EU", "71", (9050, 9050)), ("Grindelwald", "CH", 3.8, "EU", "33", (3818, 3818)),
    ("Lauterbrunnen", "CH", 2.4, "EU", "33", (3822, 3822)), ("Gruyères", "CH", 2.2, "EU", "26", (1663, 1663), "FR"),
    ("Andermatt", "CH", 1.5, "EU", "41", (6490, 6490)), ("Sils im Engadin", "CH", 0.7, "EU", "81", (7514, 7514)),
]
CITY_NAME = [c[0] for c in _C]
CITY_COUNTRY = [c[1] for c in _C]
CITY_POP = [c[2] for c in _C]
CITY_TZ = [c[3] for c in _C]
CITY_AREA = [c[4] for c in _C]
CITY_POSTAL = [c[5] for c in _C]
CITY_LOCALE = [c[6] if len(c) > 6 else c[1] for c in _C]
CITY_URBAN = [c[2] >= 100 for c in _C]
_CITY_VARIANTS = {
    "München": ("Munich", "Muenchen"), "Köln": ("Cologne", "Koeln"), "Nürnberg": ("Nuremberg", "Nuernberg"),
    "Frankfurt am Main": ("Frankfurt", "Frankfurt a.M."), "Düsseldorf": ("Duesseldorf",),
    "Freiburg im Breisgau": ("Freiburg",), "Wien": ("Vienna",), "Zürich": ("Zurich", "Zuerich"),
    "Genève": ("Geneva", "Geneve", "Genf"), "Roma": ("Rome",), "Milano": ("Milan",), "Napoli": ("Naples",),
    "Torino": ("Turin",), "Firenze": ("Florence",), "Sevilla": ("Seville",), "Den Haag": ("The Hague", "'s-Gravenhage"),
    "New York": ("New York City", "NYC"), "Málaga": ("Malaga",), "Saint-Émilion": ("Saint-Emilion", "St-Émilion"),
    "Bad Tölz": ("Bad Toelz",), "Kitzbühel": ("Kitzbuehel",),
}

_FIRST = {
    ("DE", 0): "Anna Maria Sophie Laura Julia Lena Hannah Lea Katharina Sabine Ursula Monika Petra Jana Jürgen Sarah Lisa Birgit Claudia Anja Heike Jessica Lara Emilia Charlotte".split(),
    ("DE", 1): "Lukas Jonas Maximilian Felix Paul Thomas Michael Andreas Stefan Jürgen Klaus Jörg Björn Günter Peter Wolfgang Frank Tobias Florian Niklas Sebastian Daniel Markus Uwe Kai".split(),
    ("FR", 0): "Camille Léa Manon Chloé Inès Élodie Sophie Marie Nathalie Isabelle Céline Hélène Juliette Margaux Amélie Sandrine Aurélie Émilie Pauline Clémence".split(),
    ("FR", 1): "Lucas Hugo Louis Théo Nicolas Julien François Jérôme Stéphane Sébastien Pierre Antoine Mathieu Guillaume Olivier Thierry Benoît Raphaël Maxime Cédric".split(),
    ("EN", 0): "Olivia Emma Amelia Charlotte Jessica Sarah Emily Sophia Ava Grace Megan Chloe Hannah Lucy Ashley Jennifer Madison Abigail Rachel Laura".split(),
    ("EN", 1): "James Oliver Jack Harry William George Thomas Michael David Daniel Matthew Ethan Joshua Ryan Christopher Andrew Brandon Tyler Samuel Connor".split(),
    ("ES", 0): "Lucía María Sofía Paula Carmen Elena Laura Marta Ana Cristina Pilar Isabel Alba Nuria Rocío Verónica Irene Beatriz".split(),
    ("ES", 1): "Hugo Alejandro Pablo Daniel Javier José Manuel Sergio Álvaro Jesús Carlos Antonio Francisco Miguel Adrián Rubén Iván Raúl".split(),
    ("IT", 0): "Giulia Sofia Aurora Alice Francesca Chiara Giorgia Martina Elena Valentina Federica Silvia Paola Alessia Beatrice Greta Noemi".split(),
    ("IT", 1): "Leonardo Francesco Alessandro Lorenzo Mattia Andrea Marco Giuseppe Luca Niccolò Matteo Davide Riccardo Simone Stefano Fabio Giovanni".split(),
    ("NL", 0): "Emma Julia Tess Sophie Anna Sanne Lotte Femke Fleur Anouk Eva Lieke Noor Isa Mila Roos Ilse".split(),
    ("NL", 1): "Daan Sem Lucas Levi Finn Bram Jesse Thijs Ruben Joost Sander Pieter Wouter Jeroen Niels Stijn Bas".split(),
}
_LAST = {
    "DE": "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner Krause Meier Lehmann Jäger Köhler Weiß Groß Vogel Friedrich Günther Böhm".split(),
    "AT": "Gruber Huber Bauer Wagner Müller Pichler Steiner Moser Mayer Hofer Leitner Berger Fuchs Eder Fischer Schmid Winkler Weber Schwarz Maier Schneider Reiter Brunner Wimmer Egger".split(),
    "CH": "Müller Meier Schmid Keller Weber Huber Schneider Meyer Steiner Fischer Gerber Brunner Baumann Frei Zimmermann Moser Widmer Wyss Graf Roth Bühler Suter Lüthi".split(),
    "FR": "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefèvre Michel Garcia Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Chevalier Faure Gauthier Mercier Boucher".split(),
    "EN": "Smith Jones Williams Taylor Brown Davies Evans Wilson Johnson Miller Garcia Rodriguez Martinez Anderson Thompson Walker Wright O'Brien O'Connor McDonald Robinson Clarke Hughes Edwards Lewis Murphy Bennett Turner".split(),
    "ES": "García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz Hernández Díaz Muñoz Álvarez Moreno Romero Navarro Torres Domínguez Núñez Peña".split(),
    "IT": "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti De Luca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Caruso".split(),
    "NL": "de Jong Jansen de Vries van den Berg van Dijk Bakker Janssen Visser Smit Meijer de Boer Mulder de Groot Bos Vos Peters Hendriks van Leeuwen Dekker Brouwer de Wit Dijkstra".split(),
}
# "De Luca", "de Jong", "van den Berg" were split above: rebuild multi-word names
_LAST["IT"] = [n for n in _LAST["IT"] if n not in ("De", "Luca")] + ["De Luca"]
_LAST["NL"] = ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
               "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
               "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra"]
_FIRST_LOCALE = {"DE": "DE", "AT": "DE", "CH": "DE", "FR": "FR", "GB": "EN", "US": "EN", "ES": "ES",
                 "IT": "IT", "NL": "NL"}
_LAST_LOCALE = {"DE": "DE", "AT": "AT", "CH": "CH", "FR": "FR", "GB": "EN", "US": "EN", "ES": "ES",
                "IT": "IT", "NL": "NL"}

_FREEMAIL = {
    "DE": (("gmail.com", 25), ("web.de", 20), ("gmx.de", 18), ("t-online.de", 8), ("outlook.com", 7), ("yahoo.de", 4), ("icloud.com", 4)),
    "FR": (("gmail.com", 35), ("orange.fr", 15), ("free.fr", 10), ("hotmail.fr", 10), ("laposte.net", 6), ("outlook.fr", 5), ("yahoo.fr", 5)),
    "GB": (("gmail.com", 35), ("outlook.com", 12), ("hotmail.co.uk", 12), ("yahoo.co.uk", 8), ("btinternet.com", 6), ("icloud.com", 6)),
    "US": (("gmail.com", 40), ("yahoo.com", 15), ("outlook.com", 10), ("hotmail.com", 8), ("icloud.com", 10), ("aol.com", 4)),
    "ES": (("gmail.com", 45), ("hotmail.es", 15), ("yahoo.es", 8), ("outlook.es", 8), ("telefonica.net", 3)),
    "IT": (("gmail.com", 40), ("libero.it", 15), ("hotmail.it", 10), ("yahoo.it", 8), ("virgilio.it", 6), ("alice.it", 4)),
    "NL": (("gmail.com", 35), ("hotmail.nl", 12), ("outlook.com", 10), ("ziggo.nl", 8), ("kpnmail.nl", 6), ("live.nl", 5)),
    "AT": (("gmail.com", 30), ("gmx.at", 20), ("aon.at", 8), ("outlook.com", 8), ("yahoo.com", 3), ("chello.at", 3)),
    "CH": (("gmail.com", 30), ("bluewin.ch", 20), ("gmx.ch", 12), ("outlook.com", 8), ("hotmail.ch", 6), ("sunrise.ch", 3)),
}
_OTHER_DOMAINS = (("example.com", 2.0), ("example.org", 1.0), ("example.net", 1.0), ("acme-corp.example", 1.5),
                  ("globex.example", 1.2), ("initech.example", 1.0), ("umbrella-group.example", 0.8),
                  ("northwind-traders.example", 0.8), ("contoso-ltd.example", 0.7))
_DOMAIN_TYPOS = {
    "gmail.com": ("gmial.com", "gmai.com", "gamil.com", "gmail.co", "gmail.con"),
    "web.de": ("web.d", "wbe.de", "web.dee"), "gmx.de": ("gmx.d", "gxm.de", "gmx.dee"),
    "outlook.com": ("outlok.com", "outlook.co", "otlook.com"), "yahoo.com": ("yaho.com", "yahooo.com"),
    "hotmail.com": ("hotmial.com", "hotmail.co", "hotmai.com"), "orange.fr": ("orange.fe", "ornage.fr"),
    "t-online.de": ("t-onlien.de", "tonline.de"), "icloud.com": ("icoud.com", "icloud.co"),
}
_ROLE_LOCALS = ("info", "kontakt", "office", "contact", "sales", "hello", "service")
_TRADES = ("elektro", "bau", "design", "consulting", "logistik", "bakery", "garden", "studio", "trading", "media")

_GENDER_SPELL_ITEMS = {
    ("DE", 0): (("w", 4), ("weiblich", 3), ("F", 2), ("female", 1), ("Frau", 0.5)),
    ("DE", 1): (("m", 4), ("männlich", 2), ("mann", 1), ("M", 2), ("male", 1)),
    ("DE", 2): (("d", 3), ("divers", 2), ("x", 1)),
    ("FR", 0): (("F", 3), ("femme", 3), ("female", 1), ("Mme", 0.5)),
    ("FR", 1): (("M", 3), ("homme", 3), ("male", 1)),
    ("FR", 2): (("autre", 2), ("X", 1)),
    ("XX", 0): (("F", 4), ("female", 3), ("Female", 2), ("f", 1), ("woman", 0.5)),
    ("XX", 1): (("M", 4), ("male", 3), ("Male", 2), ("m", 1), ("man", 0.5)),
    ("XX", 2): (("other", 2), ("diverse", 1), ("X", 1), ("non-binary", 1)),
}
_GENDER_SPELL = {k: _W(v) for k, v in _GENDER_SPELL_ITEMS.items()}
_GENDER_TRUE = ("female", "male", "other")
LIFECYCLES = ("active", "occasional", "churned", "inactive", "new")
_SOURCES_PRIMARY = _W((("web_signup", 55), ("pos", 15), ("newsletter", 10), ("app", 10), ("import", 8), ("event", 2)))
_SOURCES_DUP = _W((("pos", 35), ("import", 25), ("newsletter", 20), ("web_signup", 12), ("app", 5), ("event", 3)))
_SUPP_REASONS = _W((("unsubscribed", 60), ("bounced", 12), ("complained", 10), ("erasure", 8)))

CATEGORIES = ("Electronics", "Fashion", "Home & Garden", "Beauty", "Sports", "Books", "Toys", "Grocery")
_CAT_SHARE = (0.15, 0.22, 0.15, 0.12, 0.10, 0.12, 0.08, 0.06)
# subcategory: (name, min EUR, max EUR, nouns)
_SUBCATS = {
    "Electronics": (
        ("Phones", 199, 1199, ("Smartphone", "Phone", "Foldable Phone")),
        ("Computers", 399, 2499, ("Laptop", "Notebook", "Desktop PC", "Tablet", "Monitor")),
        ("Audio", 29, 399, ("Wireless Headphones", "Earbuds", "Bluetooth Speaker", "Soundbar")),
        ("Gaming", 19, 599, ("Gaming Console", "Controller", "Gaming Headset", "Gaming Mouse", "Mechanical Keyboard")),
        ("Smart Home", 25, 299, ("Smart Speaker", "Smart Bulb Set", "Video Doorbell", "Thermostat")),
        ("Accessories", 9, 79, ("USB-C Charger", "Power Bank", "Phone Case", "HDMI Cable")),
    ),
    "Fashion": (
        ("Women", 19, 249, ("Wrap Dress", "Blouse", "Cardigan", "Trench Coat", "Skirt", "Jumpsuit")),
        ("Men", 19, 249, ("Oxford Shirt", "Chinos", "Wool Coat", "Hoodie", "Polo Shirt", "Blazer")),
        ("Shoes", 39, 199, ("Sneakers", "Ankle Boots", "Loafers", "Sandals", "Running Shoes")),
        ("Kids", 9, 59, ("Kids Jacket", "Kids T-Shirt", "Kids Rain Boots", "Kids Pyjamas")),
        ("Accessories", 9, 149, ("Scarf", "Leather Belt", "Tote Bag", "Sunglasses", "Beanie")),
    ),
    "Home & Garden": (
        ("Furniture", 79, 1299, ("Sofa", "Armchair", "Bookshelf", "Dining Table", "Bed Frame")),
        ("Kitchen", 9, 299, ("Chef Knife", "Cast Iron Pan", "Espresso Machine", "Blender", "Dutch Oven")),
        ("Garden", 9, 499, ("Garden Hose", "Raised Bed", "Lawn Mower", "Pruning Shears", "Plant Pot Set")),
        ("Decor", 9, 149, ("Table Lamp", "Throw Blanket", "Wall Mirror", "Scented Candle", "Vase")),
        ("Tools", 15, 399, ("Cordless Drill", "Tool Set", "Laser Level", "Workbench")),
    ),
    "Beauty": (
        ("Skincare", 6, 89, ("Face Serum", "Moisturiser", "Cleansing Gel", "Eye Cream", "Sunscreen SPF 50")),
        ("Makeup", 5, 59, ("Mascara", "Lipstick", "Foundation", "Eyeshadow Palette", "Concealer")),
        ("Fragrance", 29, 149, ("Eau de Parfum", "Eau de Toilette", "Body Mist")),
        ("Hair Care", 5, 49, ("Shampoo", "Conditioner", "Hair Oil", "Beard Oil", "Hair Dryer")),
    ),
    "Sports": (
        ("Fitness", 9, 499, ("Yoga Mat", "Dumbbell Set", "Kettlebell", "Resistance Bands", "Rowing Machine")),
        ("Outdoor", 19, 399, ("Hiking Backpack", "Tent", "Sleeping Bag", "Trekking Poles", "Rain Jacket")),
        ("Cycling", 29, 1999, ("City Bike", "Bike Helmet", "Bike Lights", "E-Bike", "Cycling Gloves")),
        ("Running", 19, 179, ("Running Shoes", "Running Jacket", "GPS Watch", "Running Tights")),
        ("Team Sports", 9, 89, ("Football", "Basketball", "Shin Guards", "Goalkeeper Gloves")),
    ),
    "Books": (
        ("Fiction", 8, 25, ("Novel", "Thriller", "Crime Novel", "Romance Novel", "Fantasy Saga")),
        ("Non-Fiction", 10, 35, ("Biography", "History Book", "Science Book", "Self-Help Guide")),
        ("Children", 6, 20, ("Picture Book", "Bedtime Stories", "Activity Book")),
        ("Cookbooks", 12, 40, ("Cookbook", "Baking Book", "Vegetarian Cookbook")),
        ("Comics", 8, 30, ("Graphic Novel", "Manga Volume", "Comic Collection")),
    ),
    "Toys": (
        ("Building Sets", 9, 199, ("Building Set", "Construction Kit", "Marble Run")),
        ("Dolls", 9, 79, ("Doll", "Doll House", "Plush Bear")),
        ("Board Games", 12, 69, ("Board Game", "Card Game", "Puzzle 1000 pcs", "Strategy Game")),
        ("Outdoor Toys", 15, 149, ("Scooter", "Swing Set", "Water Blaster", "Kite")),
        ("Baby", 7, 89, ("Baby Rattle", "Play Mat", "Stacking Cups", "Baby Monitor")),
    ),
    "Grocery": (
        ("Coffee & Tea", 4, 29, ("Espresso Beans", "Green Tea", "Filter Coffee", "Chai Blend")),
        ("Snacks", 2, 9, ("Dark Chocolate", "Trail Mix", "Crisps", "Protein Bar")),
        ("Wine", 6, 49, ("Riesling", "Rioja", "Chianti", "Prosecco", "Pinot Noir")),
        ("Organic", 2, 19, ("Organic Honey", "Organic Oats", "Olive Oil", "Organic Pasta")),
        ("Pantry", 2, 15, ("Basmati Rice", "Tomato Sauce", "Spice Set", "Peanut Butter")),
    ),
}
_BRANDS = {
    "Electronics": ("Voltix", "Nordwind", "Kestrel", "Lumara", "Quanta", "Orbitron", "Sonaro"),
    "Fashion": ("Maison Clair", "Urban Fox", "Lindqvist", "Alma & Co", "Northline", "Bellamy"),
    "Home & Garden": ("Hausgut", "Casa Verde", "Oakridge", "Fjell", "Maison Bleue", "Gartenwerk"),
    "Beauty": ("Lumière", "Aqua Vera", "Botanica", "Velour", "Pure Ritual"),
    "Sports": ("Stridex", "Alpenlust", "Peakform", "Velocity", "Trailhead"),
    "Books": ("Harbor House", "Blue Quill", "Leuchtturm Verlag", "Paperlane"),
    "Toys": ("Brickly", "Tiny Tribe", "Playmora", "Kubo"),
    "Grocery": ("Bio Garten", "Café Rico", "Old Cellar", "Nutri Good"),
}
_ADJ = ("Classic", "Pro", "Essential", "Premium", "Compact", "Ultra", "Everyday", "Signature", "Eco", "Deluxe",
        "Lite", "Max", "Original", "Studio", "Air", "Urban", "Nordic", "Vintage")
_COLORS = ("Black", "Navy", "Beige", "Olive", "Burgundy", "White", "Grey", "Sand", "Forest Green")

# demographic effects on category log-weights (order as CATEGORIES)
_CAT_BASE = np.array([0.0, 0.0, -0.2, -0.4, -0.3, -0.5, -0.7, -0.6])
_CAT_GENDER = np.array([
    [-0.6, 0.9, 0.2, 1.4, -0.3, 0.2, 0.2, 0.0],   # female
    [0.9, -0.4, 0.0, -1.2, 0.6, 0.0, 0.0, 0.0],   # male
    [0.3, 0.3, 0.1, 0.2, 0.1, 0.3, 0.0, 0.0],     # other
])
_CAT_AGE = np.array([
    [0.5, 0.4, -0.6, 0.1, 0.2, -0.3, -0.5, -0.1],  # < 30
    [0.0, 0.0, 0.2, 0.0, 0.1, -0.1, 0.8, 0.2],     # 30-49
    [-0.4, -0.3, 0.9, -0.1, -0.2, 0.8, -0.2, 0.2],  # 50+
])
_CAT_URBAN = np.array([
    [0.0, -0.2, 0.4, -0.1, 0.1, 0.0, 0.1, 0.1],   # rural
    [0.1, 0.2, -0.1, 0.1, 0.0, 0.0, 0.0, 0.0],    # urban
])


def _sub_weight(cat: str, sub: str, g: int, ab: int) -> float:
    """Demographic weight of a subcategory (g: 0 female, 1 male, 2 other; ab: age band)."""
    f, m, young, mid, old = g == 0, g == 1, ab == 0, ab == 1, ab == 2
    w = 1.0
    if cat == "Fashion":
        w = {"Women": 5 if f else (0.3 if m else 2), "Men": 5 if m else (0.3 if f else 2), "Shoes": 2,
             "Kids": 2 if mid else 0.5, "Accessories": 2 if f else 1}[sub]
    elif cat == "Electronics":
        w = {"Gaming": (4 if young else 1.5 if mid else 0.3) * (2 if m else 1), "Phones": 2,
             "Computers": 1.5, "Audio": 3 if young else 2, "Smart Home": 1.5 if mid else 1,
             "Accessories": 1.5}[sub]
    elif cat == "Beauty":
        w = {"Skincare": 3 if f else 1.5, "Makeup": 3 if f else 0.1, "Fragrance": 2,
             "Hair Care": 2 if f else 1.5}[sub]
    elif cat == "Home & Garden":
        w = {"Garden": 3 if old else 1, "Furniture": 2 if mid else 1, "Kitchen": 2,
             "Decor": 2 if f else 1, "Tools": 2.5 if m else 0.7}[sub]
    elif cat == "Sports":
        w = {"Fitness": 1.5 if young else 1, "Outdoor": 1.5 if old else 1, "Cycling": 1,
             "Running": 1.5 if young else 1, "Team Sports": (2 if m else 1) * (1.5 if young else 1)}[sub]
    elif cat == "Books":
        w = {"Fiction": 2 if f else 1, "Non-Fiction": (1.5 if m else 1) * (1.5 if old else 1),
             "Children": 3 if mid else 0.5, "Cookbooks": (2 if old else 1) * (1.5 if f else 1),
             "Comics": (2 if young else 0.5) * (1.5 if m else 1)}[sub]
    elif cat == "Toys":
        w = {"Building Sets": 1.5 if m else 1, "Dolls": 1.5 if f else 1, "Board Games": 1.5 if young else 1,
             "Outdoor Toys": 1, "Baby": 2 if mid else 0.5}[sub]
    elif cat == "Grocery":
        w = {"Coffee & Tea": 1.5, "Snacks": 2 if young else 1, "Wine": 0.5 if young else 2,
             "Organic": 1.5 if f else 1, "Pantry": 1}[sub]
    return float(w)


_USER_AGENTS = {
    "desktop": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    ),
    "mobile": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Mobile Safari/537.36",
        "ShopApp/4.12.0 (iPhone; iOS 18.0; Scale/3.00)",
        "ShopApp/4.11.2 (Android 14; Pixel 7)",
    ),
    "tablet": (
        "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
    ),
}
_IP_PREFIX = ("192.0.2.", "198.51.100.", "203.0.113.")
_PAID_CAMPAIGNS = (
    ("google", "cpc", "brand_search"), ("google", "cpc", "generic_search"), ("facebook", "paid_social", "autumn_sale"),
    ("instagram", "social", "new_arrivals"), ("tiktok", "paid_social", "creator_collab"), ("bing", "cpc", "brand_search"),
    ("partner_blog", "affiliate", "gift_guide"),
)
_BAD_TIMESTAMPS = (
    "yesterday", "2026-13-45T25:00:00Z", "12/10/2026", "10/12/2026 14:03:22", "not-a-date", "2026-10-32T10:00:00Z",
    "0000-00-00T00:00:00Z", "NaN", "last tuesday", "2026-02-30T12:00:00Z", "31.10.2026 18:22",
)
_UNKNOWN_PRODUCT = ("Wishlist Item Added", "Product Shared", "Product Reviewed", "Size Guide Viewed")
_UNKNOWN_CART = ("Coupon Applied", "Coupon Denied", "Shipping Info Entered")
_UNKNOWN_OTHER = ("Newsletter Form Viewed", "Store Locator Used", "Chat Started", "Push Notification Opened")
_HOUR_WEIGHTS = (0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.4, 1.5, 1.6, 1.8, 2.2, 2.0, 1.7, 1.6, 1.7, 2.0,
                 2.4, 2.8, 3.0, 2.6, 1.8, 0.9)
_TZ_STD = {"EU": 60, "UK": 0, "US_E": -300, "US_C": -360, "US_M": -420, "US_AZ": -420, "US_P": -480}
_TZ_NAMES = tuple(_TZ_STD)

_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


# =========================================================================== small helpers
def _strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)).replace("ß", "ss")


@lru_cache(maxsize=None)
def _ascii_local(s: str) -> str:
    s = _strip_accents(s.translate(_TRANSLIT)).lower()
    return re.sub(r"[^a-z0-9]", "", s)


@lru_cache(maxsize=None)
def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _strip_accents(s).lower()).strip("-")


def _wchoice(R: random.Random, table: _W):
    return table.vals[min(len(table.vals) - 1, bisect_right(table.cum, R.random() * table.total))]


def _cents(c: int) -> str:
    return f"{c // 100}.{c % 100:02d}"


def _iso_ms(ms: int) -> str:
    """UTC ISO-8601 with Z, second precision."""
    dn, r = divmod(ms, _DAY_MS)
    s = r // 1000
    return f"{_date_str(dn)}T{_HHMM[s // 60]}:{s % 60:02d}Z"


def _uuid(getrandbits) -> str:
    h = "%032x" % getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_DATE_CACHE: dict[int, str] = {}
_EPOCH_ORD = date(1970, 1, 1).toordinal()
_HHMM = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]


def _date_str(dn: int) -> str:
    s = _DATE_CACHE.get(dn)
    if s is None:
        s = date.fromordinal(_EPOCH_ORD + dn).isoformat()
        _DATE_CACHE[dn] = s
    return s


def _tz_transitions(zone: str, years: range) -> tuple[list[int], list[int]]:
    """(instants ms, offset minutes in force from that instant)."""
    std = _TZ_STD[zone]
    times, offs = [-(2**62)], [std]
    if zone == "US_AZ":
        return times, offs
    for y in years:
        if zone in ("EU", "UK"):
            # last Sunday of March / October, 01:00 UTC
            d1 = date(y, 3, 31)
            d1 -= timedelta(days=(d1.weekday() + 1) % 7)
            d2 = date(y, 10, 31)
            d2 -= timedelta(days=(d2.weekday() + 1) % 7)
            t1 = (d1.toordinal() - _EPOCH_ORD) * _DAY_MS + _HOUR_MS
            t2 = (d2.toordinal() - _EPOCH_ORD) * _DAY_MS + _HOUR_MS
        else:
            # second Sunday of March 02:00 local std, first Sunday of November 02:00 local dst
            d1 = date(y, 3, 1)
            d1 += timedelta(days=(6 - d1.weekday()) % 7 + 7)
            d2 = date(y, 11, 1)
            d2 += timedelta(days=(6 - d2.weekday()) % 7)
            t1 = (d1.toordinal() - _EPOCH_ORD) * _DAY_MS + 2 * _HOUR_MS - std * 60_000
            t2 = (d2.toordinal() - _EPOCH_ORD) * _DAY_MS + 2 * _HOUR_MS - (std + 60) * 60_000
        times += [t1, t2]
        offs += [std + 60, std]
    return times, offs


# =========================================================================== plan (parent)
@dataclass
class _Plan:
    seed: int
    out: Path
    parts: Path
    as_of_ms: int
    day_starts: list[int]
    day_names: list[str]
    gzip_every: int
    n_shards: int
    bounds: list[int]
    # persons (global arrays)
    in_crm: np.ndarray
    gender: np.ndarray
    birth_ord: np.ndarray
    ageband: np.ndarray
    country: np.ndarray
    city: np.ndarray
    life: np.ndarray
    rate: np.ndarray
    pref: np.ndarray
    affinity: np.ndarray
    price_level: np.ndarray
    ndev: np.ndarray
    extras: np.ndarray
    contact_off: np.ndarray
    contact_nums: np.ndarray
    signup_ms: np.ndarray
    churn_ms: np.ndarray
    lastact_ms: np.ndarray
    optin: np.ndarray
    first_names: list
    last_names: list
    emails: list
    alt_emails: list
    # catalog
    cat_json: list
    cat_slug: list
    cat_url: list
    cat_page: list
    prod_page: list
    prod_plv: list
    prod_ids: list
    prod_cat: list
    prod_sub: list
    prod_launch: list
    prod_new: list
    prod_price: list  # [cur][j] cents
    frag_view: list  # [cur][j] json object for Product Viewed
    frag_core: list  # [cur][j] '"product_id":..,"category":..,"price":..'
    prod_url: list
    plists: list  # [pkey][cat] -> list of product indices (weighted)
    new_by_cat: list
    old_by_cat: list
    queries: list  # [cat] -> search queries
    campaigns: dict  # day index -> list of campaign dicts
    tz_table: dict


def _make_catalog(rng: np.random.Generator, R: random.Random, n_products: int, as_of_ms: int):
    cat_of = rng.choice(len(CATEGORIES), size=n_products, p=np.array(_CAT_SHARE) / sum(_CAT_SHARE))
    cat_of.sort(kind="stable")
    rows, ids, cats, subs, launch, new, price_eur, urls = [], [], [], [], [], [], [], []
    used_names: dict[str, int] = {}
    for j, ci in enumerate(cat_of.tolist()):
        cat = CATEGORIES[ci]
        sub, lo, hi, nouns = R.choice(_SUBCATS[cat])
        brand = R.choice(_BRANDS[cat])
        noun = R.choice(nouns)
        if cat == "Electronics":
            name = f"{brand} {noun} {R.choice(('X', 'S', 'Z', 'Neo ', 'Pro '))}{R.randint(2, 12)}"
        elif cat == "Fashion":
            name = f"{brand} {R.choice(_COLORS)} {noun}"
        else:
            name = f"{brand} {R.choice(_ADJ)} {noun}"
        k = used_names.get(name, 0)
        used_names[name] = k + 1
        if k:
            name = f"{name} {R.choice(_COLORS) if cat != 'Books' else 'Vol.'} {k + 1}"
        # log-uniform price with a psychological ending
        p = math.exp(R.uniform(math.log(lo), math.log(hi)))
        cents = int(p) * 100 + R.choice((99, 95, 90, 0, 49)) if p >= 10 else int(p * 10) * 10 + 9
        cents = max(cents, 99)
        is_new = R.random() < 0.10
        if is_new:
            lms = as_of_ms - int(R.uniform(1, 28) * _DAY_MS)
        else:
            lms = as_of_ms - int(R.uniform(45, 1500) * _DAY_MS)
        lms -= lms % 60_000
        pid = f"SKU-{10000 + j:05d}"
        url = f"{_SHOP}/p/{pid.lower()}-{_slug(name)}"
        ids.append(pid)
        cats.append(ci)
        subs.append(sub)
        launch.append(lms)
        new.append(is_new)
        price_eur.append(cents)
        urls.append(url)
        rows.append((pid, name, cat, sub, _cents(cents), "true" if is_new else "false", _iso_ms(lms), url,
                     f"{_SHOP}/img/{pid.lower()}.jpg"))
    prices = [[int(round(c * fx / 10.0)) * 10 - (1 if fx != 1.0 else 0) if fx != 1.0 else c for c in price_eur]
              for fx in _FX]
    frag_view, frag_core = [], []
    for cur in range(len(CURRENCIES)):
        fv, fc = [], []
        for j, (pid, name) in enumerate(zip(ids, (r[1] for r in rows))):
            cat = CATEGORIES[cats[j]]
            pr = _cents(prices[cur][j])
            fv.append("{" + f'"product_id":"{pid}","category":{_ENC(cat)},"name":{_ENC(name)},"price":{pr}' + "}")
            fc.append(f'"product_id":"{pid}","category":{_ENC(cat)},"price":{pr}')
        frag_view.append(fv)
        frag_core.append(fc)
    # weighted candidate lists per (gender, age band, price level) x category
    terciles = {}
    for ci, cat in enumerate(CATEGORIES):
        for sub, *_ in _SUBCATS[cat]:
            idx = [j for j in range(n_products) if cats[j] == ci and subs[j] == sub]
            ps = sorted(price_eur[j] for j in idx)
            if ps:
                terciles[(ci, sub)] = (ps[len(ps) // 3], ps[(2 * len(ps)) // 3])
    by_cat = [[j for j in range(n_products) if cats[j] == ci] for ci in range(len(CATEGORIES))]
    plists = []
    for g in range(3):
        for ab in range(3):
            for pl in range(3):
                per_cat = []
                for ci, cat in enumerate(CATEGORIES):
                    lst = []
                    for j in by_cat[ci]:
                        t1, t2 = terciles[(ci, subs[j])]
                        lvl = 0 if price_eur[j] < t1 else (1 if price_eur[j] < t2 else 2)
                        w = _sub_weight(cat, subs[j], g, ab) * (3.0 if lvl == pl else 1.0)
                        lst.extend([j] * max(1, int(round(w * 2))))
                    if not lst:  # tiny catalogs: fall back to anything
                        lst = list(range(n_products))
                    per_cat.append(lst)
                plists.append(per_cat)
    new_by_cat = [[j for j in range(n_products) if cats[j] == ci and new[j]] for ci in range(len(CATEGORIES))]
    old_by_cat = [[j for j in range(n_products) if cats[j] == ci and not new[j]] or list(range(n_products))
                  for ci in range(len(CATEGORIES))]
    queries = []
    for cat in CATEGORIES:
        q = [cat.lower()]
        for sub, _, _, nouns in _SUBCATS[cat]:
            q.append(sub.lower())
            q.extend(n.lower() for n in nouns)
        q.extend(b.lower() for b in _BRANDS[cat])
        queries.append(q)
    cat_json = [_ENC(c) for c in CATEGORIES]
    cat_slug = [_slug(c) for c in CATEGORIES]
    cat_url = [f"{_SHOP}/c/{sl}" for sl in cat_slug]
    cat_page = [_ENC({"path": u[len(_SHOP):], "url": u, "title": c}) for u, c in zip(cat_url, CATEGORIES)]
    prod_page = [_ENC({"path": u[len(_SHOP):], "url": u, "title": r[1]}) for u, r in zip(urls, rows)]
    prod_plv = [_ENC({"category": CATEGORIES[cats[j]], "list_id": f"{cat_slug[cats[j]]}-{_slug(subs[j])}"})
                for j in range(n_products)]
    return rows, dict(
        cat_json=cat_json, cat_slug=cat_slug, cat_url=cat_url, cat_page=cat_page, prod_page=prod_page,
        prod_plv=prod_plv, prod_ids=ids, prod_cat=cats, prod_sub=subs, prod_launch=launch, prod_new=new, prod_price=prices,
        frag_view=frag_view, frag_core=frag_core, prod_url=urls, plists=plists, new_by_cat=new_by_cat,
        old_by_cat=old_by_cat, queries=queries,
    )


def _make_campaigns(rng: np.random.Generator, day_starts: list[int]) -> dict:
    out: dict[int, list] = {}
    for di, ds in enumerate(day_starts):
        wd = date.fromordinal(_EPOCH_ORD + ds // _DAY_MS).weekday()
        dname = _date_str(ds // _DAY_MS).replace("-", "")
        kinds = []
        if wd in (1, 4):
            kinds.append("newsletter")
        if rng.random() < 0.18:
            kinds.append("promo")
        for kind in kinds:
            cat = int(rng.integers(len(CATEGORIES))) if (kind == "promo" or rng.random() < 0.5) else -1
            if kind == "newsletter":
                name = f"Weekly Newsletter {date.fromordinal(_EPOCH_ORD + ds // _DAY_MS).isocalendar()[1]}"
            else:
                name = str(rng.choice(["Flash Sale", "Weekend Deals", "New Arrivals", "Members Offer", "Last Chance"]))
                name = f"{name}: {CATEGORIES[cat]}"
            cid = f"cmp_{dname}_{_slug(name).replace('-', '_')[:24]}"
            path = f"/c/{_slug(CATEGORIES[cat])}" if cat >= 0 else "/"
            out.setdefault(di, []).append(dict(
                campaign_id=cid, name=name, category=cat, ab=bool(rng.random() < 0.4),
                send_ms=ds + int(rng.integers(6 * 60, 17 * 60)) * 60_000 + int(rng.integers(60_000)),
                share=float(rng.uniform(0.55, 0.95)),
                url=f"{_SHOP}{path}?utm_source=newsletter&utm_medium=email&utm_campaign={cid}",
                camp_frag=',"campaign":{"source":"newsletter","medium":"email","name":' + _ENC(cid) + "}",
            ))
    return out


def _make_emails(R: random.Random, first: list, last: list, country: np.ndarray, birth_ord: np.ndarray,
                 in_crm: np.ndarray) -> tuple[list, list]:
    used: set[str] = set()
    emails, alts = [], []
    dom_tables = {c: _W(tuple(_FREEMAIL[c]) + _OTHER_DOMAINS) for c in COUNTRIES}
    for i in range(len(first)):
        c = COUNTRIES[country[i]]
        f, l = _ascii_local(first[i]), _ascii_local(last[i])
        yy = f"{date.fromordinal(int(birth_ord[i])).year % 100:02d}"
        res = []
        for attempt in range(2):
            if attempt == 0 and in_crm[i] and R.random() < ROLE_ADDRESS_RATE:
                local = R.choice(_ROLE_LOCALS)
                dom = f"{l}-{R.choice(_TRADES)}.example"
            else:
                pat = R.random()
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
                    local = f"{f}{l}{R.randint(1, 99)}"
                elif pat < 0.80:
                    local = f"{l}.{f}"
                elif pat < 0.90:
                    local = f"{f}{R.randint(100, 9999)}"
                else:
                    local = f"{f[:1]}{l}"
                dom = _wchoice(R, dom_tables[c])
            e = f"{local}@{dom}"
            while e in used:
                e = f"{local}{R.randint(1, 9999)}@{dom}"
            used.add(e)
            res.append(e)
        emails.append(res[0])
        alts.append(res[1])
    return emails, alts


def _build_plan(out: Path, contacts: int, days: int, seed: int, as_of: datetime, gzip_every: int,
                progress) -> tuple[_Plan, list]:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    R = random.Random(seed * 7919 + 17)
    as_of_ms = int(round(as_of.timestamp() * 1000))
    as_of_day = as_of_ms // _DAY_MS
    last_day = as_of_day if as_of_ms % _DAY_MS else as_of_day - 1
    day_nums = list(range(last_day - days + 1, last_day + 1))
    day_starts = [d * _DAY_MS for d in day_nums]
    win_start = day_starts[0]

    # ---- persons
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
    as_of_ord = _EPOCH_ORD + as_of_day
    birth_ord = (as_of_ord - (age_years + rng.random(P)) * 365.2425).astype(np.int64)
    ageband = np.where(age_years < 30, 0, np.where(age_years < 50, 1, 2)).astype(np.int8)
    country = rng.choice(len(COUNTRIES), size=P, p=np.array(COUNTRY_WEIGHTS) / sum(COUNTRY_WEIGHTS))
    city = np.zeros(P, dtype=np.int64)
    for ci, c in enumerate(COUNTRIES):
        idx = [k for k in range(len(_C)) if CITY_COUNTRY[k] == c]
        pops = np.array([CITY_POP[k] for k in idx], dtype=float)
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

    logits = _CAT_BASE[None, :] + _CAT_GENDER[gender] + _CAT_AGE[ageband] + _CAT_URBAN[urban]
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

    win_len = max(_DAY_MS, as_of_ms - win_start)
    never = np.int64(2**62)
    signup = np.full(P, never, dtype=np.int64)
    churn = np.full(P, never, dtype=np.int64)
    lastact = np.full(P, never, dtype=np.int64)
    u = rng.random(P)
    yrs = 365 * _DAY_MS
    for li in range(5):
        sel = in_crm & (life == li)
        n = int(sel.sum())
        if not n:
            continue
        if li == 2:  # churned: stops some weeks before as_of
            churn[sel] = as_of_ms - (rng.uniform(21, 70, n) * _DAY_MS).astype(np.int64)
            signup[sel] = churn[sel] - (rng.uniform(60, 5 * 365, n) * _DAY_MS).astype(np.int64)
        elif li == 3:  # inactive: only old activity
            lastact[sel] = as_of_ms - (rng.uniform(120, 700, n) * _DAY_MS).astype(np.int64)
            signup[sel] = lastact[sel] - (rng.uniform(0, 4, n) * yrs).astype(np.int64)
        elif li == 4:  # new: signs up during the window
            di = np.floor((0.15 + 0.85 * u[sel]) * len(day_starts)).astype(np.int64).clip(0, len(day_starts) - 1)
            tod = rng.uniform(8, 22, n) * _HOUR_MS
            s = np.array(day_starts, dtype=np.int64)[di] + tod.astype(np.int64)
            s = np.minimum(s, as_of_ms - 30 * 60_000)
            signup[sel] = np.maximum(s, win_start + 10 * 60_000) if win_len > _HOUR_MS else as_of_ms - 60_000
        else:
            signup[sel] = win_start - (rng.uniform(1, 6 * 365, n) * _DAY_MS).astype(np.int64)
    signup -= signup % 1000
    optin = (rng.random(P) < 0.66) & in_crm

    # ---- names & emails
    first_names, last_names = [], []
    ru = rng.random((P, 2))
    for i in range(P):
        loc = CITY_LOCALE[city[i]]
        fl = _FIRST[(_FIRST_LOCALE[loc], int(gender[i]) if gender[i] < 2 else int(ru[i, 0] < 0.5))]
        ll = _LAST[_LAST_LOCALE[loc]]
        first_names.append(fl[int(ru[i, 0] * 7919) % len(fl)])
        last_names.append(ll[int(ru[i, 1] * len(ll))])
    emails, alts = _make_emails(R, first_names, last_names, country, birth_ord, in_crm)
    if progress:
        progress(f"persons: {P:,} ({n_crm:,} in CRM, {n_anon:,} anonymous visitors), {contacts:,} contact rows")

    # ---- catalog & campaigns
    n_products = max(200, contacts // 200)
    prod_rows, cat = _make_catalog(rng, R, n_products, as_of_ms)
    campaigns = _make_campaigns(rng, day_starts)

    n_shards = max(1, min(_MAX_SHARDS, -(-contacts // _SHARD_CONTACTS)))
    bounds = [int(round(P * k / n_shards)) for k in range(n_shards + 1)]
    years = range(date.fromordinal(_EPOCH_ORD + win_start // _DAY_MS).year - 8,
                  date.fromordinal(_EPOCH_ORD + as_of_day).year + 4)
    tz_table = {z: _tz_transitions(z, years) for z in _TZ_NAMES}
    plan = _Plan(
        seed=seed, out=out, parts=out / _PARTS, as_of_ms=as_of_ms, day_starts=day_starts,
        day_names=[_date_str(d) for d in day_nums], gzip_every=gzip_every, n_shards=n_shards, bounds=bounds,
        in_crm=in_crm, gender=gender, birth_ord=birth_ord, ageband=ageband, country=country, city=city,
        life=life, rate=rate, pref=pref, affinity=affinity, price_level=price_level, ndev=ndev, extras=ext,
        contact_off=contact_off, contact_nums=contact_nums, signup_ms=signup, churn_ms=churn, lastact_ms=lastact,
        optin=optin, first_names=first_names, last_names=last_names, emails=emails, alt_emails=alts,
        campaigns=campaigns, tz_table=tz_table, **cat,
    )
    return plan, prod_rows


# =========================================================================== CRM mess
def _typo(s: str, R: random.Random) -> str:
    if len(s) < 4:
        return s
    i = R.randrange(1, len(s) - 2)
    k = R.random()
    if k < 0.4:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    if k < 0.75:
        return s[:i] + s[i + 1:]
    return s[:i] + s[i] + s[i:]


def _accent_variant(s: str, R: random.Random) -> str:
    if s.isascii():
        return s
    return s.translate(_TRANSLIT) if R.random() < 0.5 else _strip_accents(s)


def _case_ws(s: str, R: random.Random) -> str:
    k = R.random()
    if k < 0.35:
        return s.upper()
    if k < 0.65:
        return s.lower()
    if k < 0.85:
        return f" {s} " if R.random() < 0.5 else f"{s}  "
    return s.replace(" ", "  ") if " " in s else f"{s} "


def _name_variant(s: str, R: random.Random, heavy: bool) -> str:
    if not s:
        return s
    k = R.random()
    if not heavy:
        if k < 0.03:
            return _case_ws(s, R)
        if k < 0.04:
            return ""
        return s
    if k < 0.25:
        return _typo(s, R)
    if k < 0.50 and not s.isascii():
        return _accent_variant(s, R)
    if k < 0.65:
        return _case_ws(s, R)
    if k < 0.72:
        return ""
    return s


def _malformed_email(e: str, R: random.Random) -> str:
    local, _, dom = e.partition("@")
    return R.choice((
        f"{local}{dom}", f"{local}@@{dom}", f"{local}@{dom.rsplit('.', 1)[0]}", f"{local}@{dom}.",
        f"{local.replace('.', ' ')}@{dom}" if "." in local else f"{local} @{dom}", "n/a", "-", f"{local}@",
    ))


def _typo_email(e: str, R: random.Random) -> str:
    local, _, dom = e.partition("@")
    if dom in _DOMAIN_TYPOS:
        return f"{local}@{R.choice(_DOMAIN_TYPOS[dom])}"
    name, _, tld = dom.rpartition(".")
    return f"{local}@{_typo(name, R) if len(name) >= 4 else name + name[-1]}.{tld}"


def _email_case_ws(e: str, R: random.Random) -> str:
    local, _, dom = e.partition("@")
    k = R.random()
    if k < 0.3:
        return e.upper()
    if k < 0.6:
        return ".".join(p.capitalize() for p in local.split(".")) + "@" + dom.capitalize()
    if k < 0.8:
        return f" {e} "
    return f"{e} "


def _phone_number(R: random.Random, c: str, area: str) -> tuple[str, str]:
    """A person's (area or mobile prefix, subscriber number)."""
    rnd = R.random
    mob = _MOBILE[c]
    if mob and rnd() < 0.45:
        area = mob[int(rnd() * len(mob))]
    if c == "US":
        sub = f"5550{100 + int(rnd() * 100)}"
    elif c == "GB" and area == "20":
        sub = f"7946{int(rnd() * 1000):04d}"
    elif c == "GB" and area == "7700":
        sub = f"900{int(rnd() * 1000):03d}"
    else:
        n = max(5, min(8, (10 if c in ("DE", "AT") else 9) - len(area)))
        sub = str(2 + int(rnd() * 8)) + f"{int(rnd() * 10 ** (n - 1)):0{n - 1}d}"
    return area, sub


def _phone(R: random.Random, c: str, number: tuple[str, str], heavy: bool) -> str:
    """Format a phone number the way a human typed it into some system."""
    area, sub = number
    cc = _CALLING[c]
    if c == "US":
        a, x3, x4 = area, sub[:3], sub[3:]
        styles = (f"+1 {a} {x3} {x4}", f"({a}) {x3}-{x4}", f"{a}-{x3}-{x4}", f"{a}{x3}{x4}",
                  f"+1-{a}-{x3}-{x4}", f"1-{a}-{x3}-{x4}", f"+1{a}{x3}{x4}")
    elif c in ("ES", "IT"):
        digits = (area + sub)[:10 if c == "IT" else 9]
        g3 = " ".join(digits[i:i + 3] for i in range(0, len(digits), 3))
        styles = (f"+{cc} {g3}", f"+{cc}{digits}", f"00{cc}{digits}", digits, g3, g3.replace(" ", "-"),
                  f"(+{cc}) {digits}")
    elif c == "FR":
        digits = (area + sub)[:9]
        pairs = " ".join(digits[i:i + 2] for i in range(1, len(digits), 2))
        styles = (f"+33 {digits[0]} {pairs}", f"0{digits[0]} {pairs}", f"0{digits}", f"0033{digits}",
                  f"0{digits[0]}.{pairs.replace(' ', '.')}", f"+33{digits}")
    else:
        nat0 = "0" if c in _TRUNK0 else ""
        styles = (f"+{cc} {area} {sub}", f"{nat0}{area}/{sub}",
                  f"+{cc} ({nat0}){area} {sub}" if nat0 else f"+{cc} {area}{sub}",
                  f"00{cc}{area}{sub}", f"{nat0}{area} {sub}", f"+{cc}{area}{sub}",
                  f"({nat0}){area}-{sub[:3]} {sub[3:]}" if nat0 else f"{area}-{sub}", f"{nat0}{area}-{sub}")
    r = R.random()
    if not heavy and r < 0.5:
        return styles[0]
    return styles[int(R.random() * len(styles))]


def _postal(R: random.Random, c: str, spec) -> str:
    if spec[0] == "GB":
        out = R.choice(spec[1:])
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        return f"{out} {R.randint(1, 9)}{R.choice(letters)}{R.choice(letters)}"
    if spec[0] == "NL":
        letters = "ABCDEGHJKLMNPRSTVWXZ"
        return f"{R.randint(spec[1], spec[2])} {R.choice(letters)}{R.choice(letters)}"
    if spec[0] == "WIEN":
        return f"1{R.randint(1, 23):02d}0"
    lo, hi = spec
    v = lo + int(R.random() * (hi - lo + 1))
    width = 4 if c in ("AT", "CH") else 5
    return f"{v:0{width}d}"


# =========================================================================== shard worker
_PLAN: _Plan | None = None
_QUEUE = None
_KEY0 = itemgetter(0)
_TS_LABEL = np.frombuffer(b'","timestamp":"', dtype=np.uint8)
_MID_W = 81  # 36 (uuid) + 15 + 23 (ts) + 6 (offset) + 1 (quote)
_T_END = '"}}}\n'  # every buffered body ends with the line's newline
_HT = '{"type":"track","messageId":"'
_HP = '{"type":"page","messageId":"'
_HI = '{"type":"identify","messageId":"'


def _evp(name: str) -> str:
    return ',"event":"' + name + '","properties":'


_EV = {n: _evp(n) for n in CONTRACT_EVENTS | set(_UNKNOWN_PRODUCT) | set(_UNKNOWN_CART) | set(_UNKNOWN_OTHER)}


class _DayBuf:
    """A day's events as parallel lists: code = t_ms << 5 | style << 1 | unknown flag."""

    __slots__ = ("codes", "heads", "bodies", "late")

    def __init__(self):
        self.codes: list[int] = []
        self.heads: list[str] = []
        self.bodies: list[str] = []
        self.late: list[tuple[int, int]] = []  # (index, sort key) of late-delivered events


def _shard_entry(shard: int) -> dict:
    q = _QUEUE

    def report(msg):
        q.put(msg)

    return _Shard(_PLAN, shard, report).run()


class _Shard:
    def __init__(self, plan: _Plan, shard: int, report):
        self.p = plan
        self.shard = shard
        self.report = report
        ss = np.random.SeedSequence([plan.seed, 1000 + shard])
        self.g = np.random.default_rng(ss)
        self.R = random.Random(int(ss.generate_state(2, np.uint64)[0]) ^ plan.seed)
        self.lo, self.hi = plan.bounds[shard], plan.bounds[shard + 1]

    # ----------------------------------------------------------------- persons & CRM
    def _setup(self):
        p, R, g = self.p, self.R, self.g
        rnd = R.random
        lo, hi = self.lo, self.hi
        n = hi - lo
        gr = R.getrandbits
        self.contact_rows = []
        self.gt_contacts = []
        self.gt_devices = []
        self.gt_persons = []
        self.cids = []  # per person: list of contact ids (primary first)
        self.traits = {}  # contact id -> traits json
        self.mail_slots = []  # (pi, contact id, person index, normalized email, hard bounce, ids fragment)
        self.email = []  # person's true email
        self.cur = []
        self.dev_first = []
        self.supp: dict[str, tuple] = {}
        dev_aid, dev_ctxc, dev_style, dev_known, dev_mobile, dev_anon = [], [], [], [], [], []
        as_of_ms = p.as_of_ms
        win_start = p.day_starts[0]
        country = p.country[lo:hi].tolist()
        cityl = p.city[lo:hi].tolist()
        genderl = p.gender[lo:hi].tolist()
        birthl = p.birth_ord[lo:hi].tolist()
        prefl = p.pref[lo:hi].tolist()
        lifel = p.life[lo:hi].tolist()
        in_crm = p.in_crm[lo:hi].tolist()
        signupl = p.signup_ms[lo:hi].tolist()
        ndevl = p.ndev[lo:hi].tolist()
        extrasl = p.extras[lo:hi].tolist()
        offl = p.contact_off[lo:hi].tolist()
        optl = p.optin[lo:hi].tolist()
        nums = p.contact_nums
        free = {c: {d for d, _ in _FREEMAIL[c]} for c in COUNTRIES}
        ua_enc = {k: [_ENC(u) for u in v] for k, v in _USER_AGENTS.items()}
        for pi in range(n):
            i = lo + pi
            c = COUNTRIES[country[pi]]
            ci = cityl[pi]
            city = CITY_NAME[ci]
            gi = genderl[pi]
            birth = date.fromordinal(birthl[pi]).isoformat()
            first, last = p.first_names[i], p.last_names[i]
            email = p.emails[i]
            self.email.append(email)
            self.cur.append(_COUNTRY_CUR.get(c, 0))
            tzi = _TZ_NAMES.index(CITY_TZ[ci])
            pid = f"P{i + 1:07d}"
            self.gt_persons.append((pid, _GENDER_TRUE[gi], birth, city, c, CATEGORIES[prefl[pi]], LIFECYCLES[lifel[pi]]))
            # devices
            self.dev_first.append(len(dev_aid))
            registered_before = in_crm[pi] and signupl[pi] < win_start
            for k in range(ndevl[pi]):
                aid = _uuid(gr)
                r = rnd()
                kind = "mobile" if r < 0.55 else ("desktop" if r < 0.90 else "tablet")
                uas = ua_enc[kind]
                ip = _IP_PREFIX[int(rnd() * 3)] + str(1 + int(rnd() * 254))
                dev_aid.append(aid)
                dev_ctxc.append(',"context":{"ip":"' + ip + '","userAgent":' + uas[int(rnd() * len(uas))]
                                + ',"page":{"url":"')
                r = rnd()
                dev_style.append(0 if r < 0.7 else (1 if r < 0.8 else 2 + tzi))
                dev_known.append(registered_before and rnd() < (0.6 if k == 0 else 0.3))
                dev_mobile.append(kind == "mobile")
                dev_anon.append(',"userId":null,"anonymousId":"' + aid + '"')
                self.gt_devices.append((aid, pid))
            # contacts
            cids = []
            if in_crm[pi]:
                number = _phone_number(R, c, CITY_AREA[ci])
                postal = _postal(R, c, CITY_POSTAL[ci])
                alt = p.alt_emails[i]
                for r_i in range(1 + extrasl[pi]):
                    cid = f"C{1_000_000 + int(nums[offl[pi] + r_i]):07d}"
                    cids.append(cid)
                    if r_i and rnd() < 0.15:  # a new phone since the first sign-up
                        number = _phone_number(R, c, CITY_AREA[ci])
                    row, opt = self._crm_row(R, cid, c, city, postal, number, gi, birth, first, last, email, alt,
                                             signupl[pi], r_i > 0, optl[pi], as_of_ms)
                    self.contact_rows.append(row)
                    self.gt_contacts.append((cid, pid))
                    tr = {}
                    for key, col in (("email", 1), ("first_name", 2), ("last_name", 3), ("phone", 4),
                                     ("city", 7), ("gender", 5), ("birth_date", 6)):
                        v = row[col].strip()
                        if v:
                            tr[key] = v
                    self.traits[cid] = _ENC(tr)
                    e = row[1].strip().lower()
                    if opt and e.count("@") == 1 and " " not in e and not e.endswith(".") \
                            and "." in e.partition("@")[2] and all(s[3] != e for s in self.mail_slots[-3:]):
                        bounce = e.partition("@")[2] not in free[c] and e != email.lower() and e != alt.lower()
                        self.mail_slots.append((pi, cid, i, e, bounce, ',"userId":"' + cid + '"'))
            self.cids.append(cids)
        self.dev_aid, self.dev_ctxc, self.dev_style = dev_aid, dev_ctxc, dev_style
        self.dev_known, self.dev_mobile, self.dev_anon = dev_known, dev_mobile, dev_anon
        self.n = n
        self.ndev = ndevl
        # per-person category picks (16 draws from the affinity vector)
        aff = p.affinity[lo:hi]
        cum = np.cumsum(aff, axis=1)
        cum /= cum[:, -1:]
        draws = (g.random((n, 16))[:, :, None] > cum[:, None, :]).sum(axis=2).clip(0, len(CATEGORIES) - 1)
        self.catpick = draws.astype(np.int64).tolist()
        self.pkey = (p.gender[lo:hi].astype(np.int64) * 9 + p.ageband[lo:hi] * 3 + p.price_level[lo:hi]).tolist()
        life = p.life[lo:hi]
        self.intent = (np.array([0.24, 0.20, 0.18, 0.1, 0.26])[life] * np.where(p.in_crm[lo:hi], 1.0, 0.55)
                       * np.exp(g.normal(0, 0.3, n))).tolist()
        self.depth = (np.where(p.ageband[lo:hi] == 0, 2.6, 2.0) * np.exp(g.normal(0, 0.25, n))).tolist()
        self.signup = signupl
        self.life = lifel
        self.pref = prefl
        self.churn = p.churn_ms[lo:hi].tolist()
        # historical suppression
        for (pi, cid, i, e, bounce, _) in self.mail_slots:
            if e in self.supp:
                continue
            r = rnd()
            s0 = signupl[pi]
            if bounce and r < 0.5:
                self.supp[e] = ("bounced", min(s0 + int(R.uniform(1, 60) * _DAY_MS), win_start - 1000))
            elif r < HISTORICAL_SUPPRESSION_RATE:
                reason = _wchoice(R, _SUPP_REASONS)
                at = int(R.uniform(min(max(s0, win_start - 3 * 365 * _DAY_MS), win_start - _DAY_MS), win_start))
                self.supp[e] = (reason, at)
        # erasure requests, also from contacts that never opted in
        for row in self.contact_rows:
            e = row[1].strip().lower()
            if e and "@" in e and e not in self.supp and rnd() < 0.002:
                self.supp[e] = ("erasure", int(win_start - R.uniform(0, 400) * _DAY_MS))

    @staticmethod
    def _crm_row(R, cid, c, city, postal, number, gi, birth, first, last, email, alt, created0, heavy, optin,
                 as_of_ms):
        rnd = R.random
        fn = _name_variant(first, R, heavy)
        ln = _name_variant(last, R, heavy)
        k = rnd()
        if not heavy:
            em = email if k < 0.92 else (_email_case_ws(email, R) if k < 0.965 else
                                         ("" if k < 0.985 else _malformed_email(email, R)))
        else:
            em = (email if k < 0.15 else _email_case_ws(email, R) if k < 0.45 else _typo_email(email, R)
                  if k < 0.60 else alt if k < 0.85 else "" if k < 0.95 else _malformed_email(email, R))
        ph = _phone(R, c, number, heavy) if rnd() < (0.8 if not heavy else 0.6) else ""
        loc = "DE" if c in ("DE", "AT", "CH") else ("FR" if c == "FR" else "XX")
        gs = _wchoice(R, _GENDER_SPELL[(loc, gi)]) if rnd() < (0.85 if not heavy else 0.6) else ""
        r = rnd()
        bd = birth if r < (0.75 if not heavy else 0.5) else ("1900-01-01" if r > 0.997 else "")
        r = rnd()
        if r < 0.90:
            ct = city
        elif r < 0.95:
            variants = _CITY_VARIANTS.get(city)
            ct = R.choice(variants) if variants and rnd() < 0.6 else _case_ws(city, R)
        else:
            ct = ""
        if heavy and ct and rnd() < 0.2:
            ct = _accent_variant(ct, R)
        pc = postal if rnd() < 0.9 else ""
        r = rnd()
        co = c if r < 0.75 else (R.choice(_COUNTRY_NAMES[c]) if r < 0.95 else (c.lower() if r < 0.98 else ""))
        if heavy:
            created = created0 + int(R.uniform(-400, 400) * _DAY_MS)
            created = min(created, as_of_ms - _HOUR_MS)
            src = _wchoice(R, _SOURCES_DUP)
        else:
            created = created0
            src = _wchoice(R, _SOURCES_PRIMARY)
        created -= created % 1000
        updated = created + int(rnd() ** 3 * max(0, as_of_ms - created))
        updated = min(updated - updated % 1000, as_of_ms)
        opt = optin if not heavy else (rnd() < 0.5)
        r = rnd()
        if r < 0.08:
            ov = ""
            opt = False
        else:
            ov = ("true", "true", "1", "yes")[int(rnd() * 4)] if opt else ("false", "false", "0", "no")[int(rnd() * 4)]
        return (cid, em, fn, ln, ph, gs, bd, ct, pc, co, _iso_ms(created), _iso_ms(updated), ov, src), opt

    # ----------------------------------------------------------------- the run
    def run(self) -> dict:
        gc_was = gc.isenabled()
        gc.disable()  # millions of short-lived tuples/strings and no cycles: the collector only costs time
        try:
            return self._run()
        finally:
            if gc_was:
                gc.enable()

    def _run(self) -> dict:
        t0 = time.perf_counter()
        self._setup()
        self._write_crm_parts()
        st = dict(event_lines=0, valid_events=0, redelivered=0, late=0, near_future=0, unknown_event=0,
                  files=0, orders=0, order_items=0, unattributed_orders=0,
                  quarantine={r: 0 for r in QUARANTINE_REASONS})
        self.orders = []  # (t, order_id, contact_id, email, status, currency, total cents, items)
        self.order_seq = 0
        self.pos_seq = 0
        self._historical_orders()
        self._days(st)
        self._write_parts(st)
        st["devices"] = len(self.dev_aid)
        st["seconds"] = time.perf_counter() - t0
        return st

    def _new_order_id(self, pos=False) -> str:
        if pos:
            self.pos_seq += 1
            return f"POS-{1_000_000 + self.pos_seq * _MAX_SHARDS + self.shard}"
        self.order_seq += 1
        return f"O{10_000_000 + self.order_seq * _MAX_SHARDS + self.shard}"

    def _pick_product(self, pi, t, cat=-1):
        p, rnd = self.p, self.R.random
        if cat < 0:
            cat = self.catpick[pi][int(rnd() * 16)]
        lst = p.plists[self.pkey[pi]][cat]
        j = lst[int(rnd() * len(lst))]
        if p.prod_launch[j] > t:
            old = p.old_by_cat[cat]
            j = old[int(rnd() * len(old))]
        return j

    def _basket(self, pi, t, cur):
        rnd = self.R.random
        qty: dict[int, int] = {}
        for _ in range(1 + (rnd() < 0.35) + (rnd() < 0.12)):
            j = self._pick_product(pi, t)
            qty[j] = qty.get(j, 0) + (1 if rnd() < 0.82 else (2 if rnd() < 0.8 else 3))
        return [(j, q, self.p.prod_price[cur][j]) for j, q in qty.items()]

    def _historical_orders(self):
        p, R = self.p, self.R
        win_start = p.day_starts[0]
        lam = np.array([2.6, 1.1, 2.4, 1.6, 0.0])
        ks = self.g.poisson(lam[np.array(self.life, dtype=np.int64)] * p.in_crm[self.lo:self.hi]).tolist()
        lastact = p.lastact_ms[self.lo:self.hi].tolist()
        for pi in range(self.n):
            k = ks[pi]
            if not k:
                continue
            li = self.life[pi]
            hi_t = self.churn[pi] if li == 2 else (lastact[pi] if li == 3 else win_start - 1000)
            lo_t = max(self.signup[pi], hi_t - 2 * 365 * _DAY_MS)
            if hi_t <= lo_t:
                continue
            for _ in range(k):
                t = int(R.uniform(lo_t, hi_t))
                if li == 3 and R.random() < 0.5:
                    t = hi_t - int(R.random() * 3 * _DAY_MS)  # the last activity is an order
                self._offline_or_online_order(pi, self.lo + pi, t, pos=R.random() < 0.25)

    def _offline_or_online_order(self, pi, i, t, pos):
        R = self.R
        cur = self.cur[pi]
        items = self._basket(pi, t, cur)
        cids = self.cids[pi]
        if pos:
            r = R.random()
            if r < POS_UNATTRIBUTED_SHARE:
                cid, em = "", ""
            elif r < 0.72 and cids:
                cid, em = R.choice(cids), ""
            else:
                cid, em = "", self.email[pi] if R.random() < 0.8 else self.p.alt_emails[i]
        else:
            cid = cids[0] if cids and R.random() < 0.9 else ""
            em = self.email[pi] if (not cid or R.random() < 0.85) else ""
        self._record_order(self._new_order_id(pos), cid, em, t, cur, items, pos)

    def _record_order(self, oid, cid, email, t, cur, items, pos=False):
        r = self.R.random()
        status = "completed" if r < 0.93 else ("refunded" if r < 0.97 else ("cancelled" if not pos else "refunded"))
        total = sum(q * c for _, q, c in items)
        self.orders.append((t, oid, cid, email, status, cur, total, items))

    # ----------------------------------------------------------------- days
    def _days(self, st):
        p, R, g = self.p, self.R, self.g
        rnd = R.random
        D = len(p.day_starts)
        as_of_ms = p.as_of_ms
        lo, hi, n = self.lo, self.hi, self.n
        ring: list[str] = []
        self.pending = {}
        pend_sess: dict[int, list] = {}
        signup_day: dict[int, list] = {}
        win0 = p.day_starts[0]
        for pi in range(n):
            if self.life[pi] == 4 and self.cids[pi]:
                di = (self.signup[pi] - win0) // _DAY_MS
                if 0 <= di < D:
                    signup_day.setdefault(int(di), []).append(pi)
        hour_cum = (np.cumsum(_HOUR_WEIGHTS) / sum(_HOUR_WEIGHTS)).tolist()
        life_arr = p.life[lo:hi]
        churn = p.churn_ms[lo:hi]
        signup = p.signup_ms[lo:hi]
        rate = p.rate[lo:hi]
        in_crm = p.in_crm[lo:hi]
        is_new = (life_arr == 4) & in_crm
        any_new = bool(is_new.any())
        tz_of_person = [_TZ_STD[CITY_TZ[c]] for c in p.city[lo:hi].tolist()]
        pos_ok = (life_arr <= 2) & in_crm
        pos_rate = np.where(pos_ok, POS_ORDER_RATE * np.where(life_arr == 0, 1.5, 0.8), 0.0)
        self.D = D
        for di in range(D):
            day_start = p.day_starts[di]
            day_end = day_start + _DAY_MS
            limit = min(day_end, as_of_ms)
            buf = self.pending.pop(di, None) or _DayBuf()
            self.buf = buf
            self.di = di
            self.day_start, self.day_end = day_start, day_end
            # ---- email campaigns
            for camp in p.campaigns.get(di, ()):
                self._campaign(camp, pend_sess)
            # ---- web sessions
            wd = date.fromordinal(_EPOCH_ORD + day_start // _DAY_MS).weekday()
            lam = rate * (1.2 if wd >= 5 else 1.0)
            lam = np.where((life_arr == 2) & (churn <= day_start), 0.0, lam)
            if any_new:
                pre = is_new & (signup > day_start)
                lam = np.where(pre & (signup - day_start <= 10 * _DAY_MS), 0.10, np.where(pre, 0.0, lam))
            counts = g.poisson(lam)
            who = np.nonzero(counts)[0]
            session = self._session
            for pi, c in zip(who.tolist(), counts[who].tolist()):
                for _ in range(c):
                    hloc = min(23, bisect_right(hour_cum, rnd()))
                    sec = (hloc * 3600 + int(rnd() * 3600) - tz_of_person[pi] * 60) % 86400
                    t_start = day_start + sec * 1000 + int(rnd() * 1000)
                    if rnd() < LATE_SESSION_RATE:
                        k = 1 + min(4, int(-math.log(1 - rnd()) * 1.5))
                        session(pi, t_start - k * _DAY_MS, late_recv=day_start + int(rnd() * (limit - day_start)))
                    elif t_start < limit:
                        session(pi, t_start)
            for pi in signup_day.get(di, ()):
                session(pi, self.signup[pi], signup=True)
            for (t_s, pi, camp) in pend_sess.pop(di, ()):
                session(pi, t_s, camp=camp)
            # ---- store orders
            for pi in np.nonzero(g.random(n) < pos_rate)[0].tolist():
                t = day_start + int((rnd() * 10 + 8) * _HOUR_MS) - tz_of_person[pi] * 60_000
                if t >= limit or t < self.signup[pi] or (self.life[pi] == 2 and t >= self.churn[pi]):
                    continue
                self._offline_or_online_order(pi, lo + pi, t, pos=True)
            self.buf = None
            nlines = self._write_day(di, buf, st, ring)
            self.report(("day", self.shard, di, nlines))

    def _middles(self, t: np.ndarray, sty: np.ndarray) -> list[str]:
        """messageId + timestamp part of each line, vectorised: '<uuid>","timestamp":"<iso>"'."""
        n = len(t)
        H = np.frombuffer(self.g.bytes(16 * n).hex().encode("ascii"), dtype=np.uint8).reshape(n, 32)
        M = np.empty((n, _MID_W), dtype=np.uint8)
        M[:, 0:8] = H[:, 0:8]
        M[:, 9:13] = H[:, 8:12]
        M[:, 14:18] = H[:, 12:16]
        M[:, 19:23] = H[:, 16:20]
        M[:, 24:36] = H[:, 20:32]
        M[:, [8, 13, 18, 23]] = 45  # '-'
        M[:, 36:51] = _TS_LABEL
        lens = np.full(n, 76, dtype=np.int64)
        loc = t.copy()
        z = sty >= 2
        offm = None
        if z.any():
            offm = np.zeros(n, dtype=np.int64)
            for zi in np.unique(sty[z]).tolist():
                mask = sty == zi
                times, offs = self.p.tz_table[_TZ_NAMES[zi - 2]]
                offm[mask] = np.asarray(offs)[np.searchsorted(np.asarray(times), t[mask], side="right") - 1]
            loc[z] += offm[z] * 60_000
        dn = loc // _DAY_MS
        r = loc - dn * _DAY_MS
        base = int(dn.min())
        table = "".join(_date_str(d) for d in range(base, int(dn.max()) + 1)).encode("ascii")
        M[:, 51:61] = np.frombuffer(table, dtype=np.uint8).reshape(-1, 10)[dn - base]
        M[:, 61] = 84  # 'T'
        h = r // _HOUR_MS
        mi = (r // 60_000) % 60
        sec = (r // 1000) % 60
        ms = r % 1000
        M[:, 62] = 48 + h // 10
        M[:, 63] = 48 + h % 10
        M[:, 64] = 58
        M[:, 65] = 48 + mi // 10
        M[:, 66] = 48 + mi % 10
        M[:, 67] = 58
        M[:, 68] = 48 + sec // 10
        M[:, 69] = 48 + sec % 10
        M[:, 70] = 46
        M[:, 71] = 48 + ms // 100
        M[:, 72] = 48 + (ms // 10) % 10
        M[:, 73] = 48 + ms % 10
        s0 = sty == 0
        M[s0, 74] = 90  # 'Z'
        M[s0, 75] = 34  # '"'
        s1 = sty == 1
        M[s1, 70] = 90
        M[s1, 71] = 34
        lens[s1] = 72
        if offm is not None:
            o = offm[z]
            a = np.abs(o)
            hh, mm = a // 60, a % 60
            M[z, 74] = np.where(o >= 0, 43, 45)
            M[z, 75] = 48 + hh // 10
            M[z, 76] = 48 + hh % 10
            M[z, 77] = 58
            M[z, 78] = 48 + mm // 10
            M[z, 79] = 48 + mm % 10
            M[z, 80] = 34
            lens[z] = 81
        flat = M[np.arange(_MID_W)[None, :] < lens[:, None]].tobytes().decode("ascii")
        ends = np.cumsum(lens).tolist()
        starts = [0] + ends[:-1]
        return [flat[a:b] for a, b in zip(starts, ends)]

    def _write_day(self, di, buf, st, ring) -> int:
        """Sort the day's events, inject the line-level mess, write the file; returns lines written."""
        n = len(buf.codes)
        if not n:
            return 0
        g = self.g
        day_start = self.p.day_starts[di]
        day_end = day_start + _DAY_MS
        codes = np.array(buf.codes, dtype=np.int64)
        keys = codes
        if buf.late:
            keys = codes.copy()
            idx, lk = zip(*buf.late)
            keys[list(idx)] = lk
        order = np.argsort(keys, kind="stable")
        codes = codes[order]
        t = codes >> 5
        sty = (codes >> 1) & 15
        flags = (codes & 1).astype(bool)
        heads, bodies = buf.heads, buf.bodies
        buf.codes = buf.heads = buf.bodies = buf.late = None
        if n > 1:
            gather = itemgetter(*order.tolist())
            heads, bodies = gather(heads), gather(bodies)
        u = g.random(n)
        defect = np.searchsorted(_CUM_DEFECT, u, side="right")  # len(_CUM_DEFECT) = no defect
        is_def = defect < len(QUARANTINE_REASONS)
        near = ~is_def & (u < _NEAR_CUT) & (t >= day_start)
        k = int(near.sum())
        if k:
            t[near] = day_end + (g.random(k) * 20 * _HOUR_MS).astype(np.int64)
            sty[near] = 0
        mids = self._middles(t, sty)
        heads, bodies = list(heads) if n > 1 else heads, list(bodies) if n > 1 else bodies  # line k = heads[k] + mids[k] + bodies[k] (ends with "\n")

        def line(k):
            return heads[k] + mids[k] + bodies[k][:-1]

        q = st["quarantine"]
        for k in np.nonzero(is_def)[0].tolist():
            heads[k] = self._corrupt(line(k), int(defect[k]), day_end) + "\n"
            mids[k] = bodies[k] = ""
            q[QUARANTINE_REASONS[int(defect[k])]] += 1
        valid = ~is_def
        vidx = np.nonzero(valid)[0]
        nvalid = len(vidx)
        st["valid_events"] += nvalid
        st["late"] += int((valid & (t < day_start)).sum())
        st["near_future"] += int((valid & (t >= day_end)).sum())
        st["unknown_event"] += int((valid & flags).sum())
        # redeliveries: a copy of an earlier valid line (previous days' ring or earlier in this file)
        red = np.nonzero(g.random(nvalid) < REDELIVERED_RATE)[0]
        if len(red):
            nr = len(ring)
            vl = vidx.tolist()
            extra = []
            for pos, su in zip(red.tolist(), g.random(len(red)).tolist()):
                s = int(su * (nr + pos + 1))
                extra.append((vl[pos], ring[s] if s < nr else line(vl[s - nr])))
            for k, copy in extra:
                bodies[k] += copy + "\n"  # written right after line k
            st["redelivered"] += len(red)
        # keep a sample of this day's valid lines for redeliveries in later files
        if nvalid:
            take = min(nvalid, _RING - min(len(ring), _RING // 4))
            keep = min(len(ring), _RING - take)
            old = [ring[s] for s in np.sort(g.choice(len(ring), size=keep, replace=False)).tolist()] if keep else []
            new = [(heads[s] + mids[s] + bodies[s]).split("\n", 1)[0]
                   for s in vidx[np.sort(g.choice(nvalid, size=take, replace=False))].tolist()]
            ring[:] = old + new
        nlines = n + len(red)
        st["event_lines"] += nlines
        self._write_events(di, "".join(chain.from_iterable(zip(heads, mids, bodies))))
        st["files"] += 1
        return nlines

    def _write_events(self, di, text: str):
        p = self.p
        d = p.out / "events" / p.day_names[di]
        d.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        name = f"events-{self.shard:03d}.jsonl"
        if p.gzip_every > 0 and (di + 1) % p.gzip_every == 0:
            with open(d / (name + ".gz"), "wb") as fh:
                with gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=6) as z:
                    z.write(data)
        else:
            with open(d / name, "wb") as fh:
                fh.write(data)

    def _corrupt(self, line: str, k: int, day_end: int) -> str:
        R = self.R
        reason = QUARANTINE_REASONS[k]
        if reason == "malformed_json":
            r = R.random()
            if r < 0.6:
                cut = max(8, min(len(line) - 2, int(len(line) * (0.2 + 0.75 * R.random()))))
                return line[:cut]
            if r < 0.8:
                return line.replace('{"type":', "{type:", 1)
            return line.replace('","timestamp":"', '",timestamp":"', 1)
        d = json.loads(line)
        if reason == "missing_message_id":
            r = R.random()
            if r < 0.6:
                del d["messageId"]
            else:
                d["messageId"] = None if r < 0.85 else ""
        elif reason == "missing_timestamp":
            if R.random() < 0.7:
                del d["timestamp"]
            else:
                d["timestamp"] = None
        elif reason == "bad_timestamp":
            d["timestamp"] = R.choice(_BAD_TIMESTAMPS)
        elif reason == "missing_identity":
            r = R.random()
            for key in ("userId", "anonymousId"):
                if key in d:
                    if r < 0.5:
                        del d[key]
                    else:
                        d[key] = None
        else:  # future_timestamp
            d["timestamp"] = _iso_ms(day_end + 3 * _DAY_MS + int(R.random() * 727 * _DAY_MS))
        return _ENC(d)

    # ----------------------------------------------------------------- emails
    def _campaign(self, camp, pend_sess):
        p, R = self.p, self.R
        rnd = R.random
        gr = R.getrandbits
        send = camp["send_ms"]
        if send >= p.as_of_ms:
            return
        cat = camp["category"]
        share = camp["share"]
        ab = camp["ab"]
        base = ',"properties":{"campaign_id":' + _ENC(camp["campaign_id"]) + ',"email_id":"em_'
        click_tail = ',"url":' + _ENC(camp["url"]) + "}}\n"
        open_p = (0.42, 0.22, 0.10, 0.0, 0.48)  # inactive persons never open; churned ones stop (below)
        churn = self.churn
        route = self._route
        supp = self.supp
        signup, life, pref = self.signup, self.life, self.pref
        E_DEL = ',"event":"Email Delivered"'
        E_BNC = ',"event":"Email Bounced"'
        E_OPN = ',"event":"Email Opened"'
        E_SPM = ',"event":"Email Marked as Spam"'
        E_UNS = ',"event":"Unsubscribed"'
        E_CLK = ',"event":"Email Link Clicked"'
        for (pi, cid, i, e, bounce, ids) in self.mail_slots:
            if rnd() >= share or e in supp or signup[pi] > send:
                continue
            props = base + "%016x" % gr(64) + '"'
            var_b = False
            if ab:
                var_b = rnd() < 0.5
                props += ',"variant":"B"' if var_b else ',"variant":"A"'
            t = send + int(rnd() * 2_400_000)
            if bounce or rnd() < 0.003:
                route(t, _HT, ids + E_BNC + props + "}}\n", 0, 0)
                if bounce:
                    supp[e] = ("bounced", t)
                continue
            route(t, _HT, ids + E_DEL + props + "}}\n", 0, 0)
            li = life[pi]
            if rnd() < 0.0002:
                t2 = t + int(rnd() * 6 * _HOUR_MS)
                if route(t2, _HT, ids + E_SPM + props + "}}\n", 0, 0):
                    supp[e] = ("complained", t2)
                continue
            match = cat == pref[pi]
            if li == 2 and churn[pi] <= send:
                continue
            if rnd() >= open_p[li] * (1.6 if match else 1.0) * (1.15 if var_b else 1.0):
                continue
            t_open = t + int(60_000 + (-math.log(1 - rnd())) * 5 * _HOUR_MS)
            if not route(t_open, _HT, ids + E_OPN + props + "}}\n", 0, 0):
                continue
            if rnd() < (0.001 if li in (0, 4) else 0.004):
                t_u = t_open + int(rnd() * 120_000)
                if route(t_u, _HT, ids + E_UNS + props + "}}\n", 0, 0):
                    supp[e] = ("unsubscribed", t_u)
                continue
            if rnd() < 0.14 * (2.0 if match else 1.0):
                t_c = t_open + 5_000 + int(rnd() * 240_000)
                if route(t_c, _HT, ids + E_CLK + props + click_tail, 0, 0) and rnd() < 0.85:
                    ts = t_c + 2_000 + int(rnd() * 20_000)
                    di2 = (ts - p.day_starts[0]) // _DAY_MS
                    if di2 == self.di:
                        self._session(pi, ts, camp=camp)
                    elif di2 < self.D:
                        pend_sess.setdefault(int(di2), []).append((ts, pi, camp))

    def _route(self, t, head, body, style, flags) -> bool:
        """Put an event in today's buffer, or a later day's when it happens after today."""
        if t >= self.p.as_of_ms:
            return False
        if t < self.day_end:
            b = self.buf
        else:
            di = (t - self.p.day_starts[0]) // _DAY_MS
            if di >= self.D:
                return False
            b = self.pending.get(di)
            if b is None:
                b = self.pending[di] = _DayBuf()
        b.codes.append(t << 5 | style << 1 | flags)
        b.heads.append(head)
        b.bodies.append(body)
        return True

    # ----------------------------------------------------------------- web sessions
    def _session(self, pi, t, camp=None, signup=False, late_recv=None):
        p, R = self.p, self.R
        rnd = R.random
        nd = self.ndev[pi]
        d0 = self.dev_first[pi]
        if camp is not None:  # email clicks mostly on the phone
            mob = [d for d in range(d0, d0 + nd) if self.dev_mobile[d]]
            dev = mob[0] if mob and rnd() < 0.7 else d0 + int(rnd() * nd)
        else:
            dev = d0 if (nd == 1 or rnd() < 0.6) else d0 + 1 + int(rnd() * (nd - 1))
        style = self.dev_style[dev]
        ctxc = self.dev_ctxc[dev]
        anon_ids = self.dev_anon[dev]
        cids = self.cids[pi]
        registered = bool(cids) and self.signup[pi] <= t
        if cids:
            cid = cids[0] if len(cids) == 1 or rnd() < 0.85 else cids[1 + int(rnd() * (len(cids) - 1))]
            both_ids = ',"userId":"' + cid + '","anonymousId":"' + self.dev_aid[dev] + '"'
        else:
            cid, both_ids = None, anon_ids
        logged = registered and self.dev_known[dev] and rnd() < 0.75
        ids = both_ids if logged else anon_ids
        cur = self.cur[pi]
        as_of = p.as_of_ms
        day_end = self.day_end
        fast_end = min(day_end, as_of)
        buf = self.buf
        c_app, h_app, b_app = buf.codes.append, buf.heads.append, buf.bodies.append
        sf = style << 1
        route = self._route
        lr = late_recv
        EV = _EV
        EV_PV = _EV["Product Viewed"]
        EV_SI = _EV["Signed In"]
        HT, HP, HI, TE = _HT, _HP, _HI, _T_END
        cat_json = p.cat_json
        prod_url = p.prod_url
        home = _SHOP + "/"

        def E(tt, head, body, flags=0):
            nonlocal lr
            if tt >= as_of:
                return False
            if lr is not None:
                buf.late.append((len(buf.codes), lr << 5))
                lr += 1
            elif tt >= day_end:
                return route(tt, head, body, style, flags)
            c_app(tt << 5 | sf | flags)
            h_app(head)
            b_app(body)
            return True

        def unknown(tt, url, j=-1, cart=None):
            if j >= 0 and rnd() < 0.7:
                name = _UNKNOWN_PRODUCT[int(rnd() * len(_UNKNOWN_PRODUCT))]
                props = '{"product_id":"' + p.prod_ids[j] + '","category":' + cat_json[p.prod_cat[j]] + "}"
            elif cart:
                name = _UNKNOWN_CART[int(rnd() * len(_UNKNOWN_CART))]
                props = '{"cart_id":"' + cart + '","coupon":"' + ("WELCOME10", "AUTUMN15", "FREESHIP")[int(rnd() * 3)] + '"}'
            else:
                name = _UNKNOWN_OTHER[int(rnd() * len(_UNKNOWN_OTHER))]
                props = "{}"
            return E(tt, HT, f"{ids}{EV[name]}{props}{ctxc}{url}{TE}", 1)

        def identify(tt, url):
            nonlocal ids, logged
            ids = both_ids
            logged = True
            self.dev_known[dev] = True
            return E(tt, HI, f'{ids},"traits":{self.traits[cid]}{ctxc}{url}{TE}') and \
                E(tt + 150 + int(rnd() * 400), HT, f"{ids}{EV_SI}{{}}{ctxc}{url}{TE}")

        # ---- landing
        if signup:
            t = t - int(60_000 + rnd() * 240_000)
        if camp is not None:
            url = camp["url"]
            lcat = camp["category"]
            tail = '"}' + camp["camp_frag"] + "}}\n"
            if lcat >= 0:
                body = ',"name":"Category","properties":' + p.cat_page[lcat]
            else:
                body = ',"name":"Home","properties":{"path":"/","url":"' + home + '","title":"Shop"}'
            ok = E(t, HP, f"{ids}{body}{ctxc}{url}{tail}")
        else:
            lcat = -1
            if rnd() < 0.22:
                src, med, nm = _PAID_CAMPAIGNS[int(rnd() * len(_PAID_CAMPAIGNS))]
                url = f"{home}?utm_source={src}&utm_medium={med}&utm_campaign={nm}"
                tail = '"},"campaign":{"source":"' + src + '","medium":"' + med + '","name":"' + nm + '"}}}\n'
            else:
                url, tail = home, TE
            ok = E(t, HP, f'{ids},"name":"Home","properties":{{"path":"/","url":"{url}","title":"Shop"}}{ctxc}{url}{tail}')
        if not ok:
            return
        if rnd() < UNKNOWN_EVENT_RATE:
            unknown(t + 4000, url)
        # ---- sign-up flow
        if signup and cid:
            t += 20_000 + int(rnd() * 40_000)
            url = home + "account/register"
            E(t, HP, f'{ids},"name":"Sign Up","properties":{{"path":"/account/register","url":"{url}",'
                     f'"title":"Create account"}}{ctxc}{url}{TE}')
            t = max(t + 10_000, self.signup[pi])
            ids = both_ids
            logged = True
            self.dev_known[dev] = True
            E(t, HT, f'{ids}{EV["Signed Up"]}{{}}{ctxc}{url}{TE}')
            E(t + 300, HI, f'{ids},"traits":{self.traits[cid]}{ctxc}{url}{TE}')
            registered = True
        login_at = int(rnd() * 3) if (registered and not logged and rnd() < 0.22) else -1
        # ---- browse
        cat = lcat if lcat >= 0 else self.catpick[pi][int(rnd() * 16)]
        plist = p.plists[self.pkey[pi]]
        r = rnd()
        t += 3000 + int(rnd() * 30_000)
        step = 0
        if r < 0.62 or lcat >= 0:
            pl = plist[cat]
            lurl = p.cat_url[cat]
            if rnd() < 0.3:
                E(t, HP, f'{ids},"name":"Category","properties":{p.cat_page[cat]}{ctxc}{lurl}{TE}')
                t += 500
            if not E(t, HT, f'{ids}{EV["Product List Viewed"]}{p.prod_plv[pl[int(rnd() * len(pl))]]}{ctxc}{lurl}{TE}'):
                return
            url = lurl
        elif r < 0.84:
            qs = p.queries[cat]
            qry = qs[int(rnd() * len(qs))]
            if rnd() < 0.08:
                qry = _typo(qry, R)
            surl = home + "search?q=" + quote_plus(qry)
            if rnd() < 0.3:
                E(t, HP, f'{ids},"name":"Search Results","properties":{{"path":"/search","url":{_ENC(surl)},'
                         f'"title":"Search"}}{ctxc}{surl}{TE}')
                t += 500
            if not E(t, HT, f'{ids}{EV["Products Searched"]}{{"query":{_ENC(qry)}}}{ctxc}{surl}{TE}'):
                return
            url = surl
        if login_at == 0:
            t += 2000
            if not identify(t, url):
                return
        viewed = []
        nv = 1 + int(-math.log(1 - rnd()) * self.depth[pi])
        new_by_cat = p.new_by_cat[cat]
        launch = p.prod_launch
        frag_view = p.frag_view[cur]
        catpick = self.catpick[pi]
        lstcat = plist[cat]
        for v in range(nv):
            t += 8000 + int(rnd() * 90_000)
            r = rnd()
            if r < 0.07 and new_by_cat:
                j = new_by_cat[int(rnd() * len(new_by_cat))]
            else:
                lst = lstcat if r < 0.77 else plist[catpick[int(rnd() * 16)]]
                j = lst[int(rnd() * len(lst))]
            if launch[j] > t:
                old = p.old_by_cat[cat]
                j = old[int(rnd() * len(old))]
            viewed.append(j)
            url = prod_url[j]
            if rnd() < 0.25:
                E(t, HP, f'{ids},"name":"Product","properties":{p.prod_page[j]}{ctxc}{url}{TE}')
                t += 300
            if lr is None and t < fast_end:  # the common case of E(), inlined
                c_app(t << 5 | sf)
                h_app(HT)
                b_app(f"{ids}{EV_PV}{frag_view[j]}{ctxc}{url}{TE}")
            elif not E(t, HT, f"{ids}{EV_PV}{frag_view[j]}{ctxc}{url}{TE}"):
                return
            if rnd() < 0.04:
                t += 2000 + int(rnd() * 10_000)
                E(t, HT, f'{ids}{EV["Video Playback Started"]}{{"video_id":"vid_{p.prod_ids[j][4:]}",'
                         f'"category":{cat_json[p.prod_cat[j]]}}}{ctxc}{url}{TE}')
            if rnd() < UNKNOWN_EVENT_RATE:
                unknown(t + 3000, url, j)
            step += 1
            if login_at == step:
                t += 2000
                if not identify(t, url):
                    return
        # ---- cart
        if rnd() >= self.intent[pi]:
            return
        cart = "%016x" % R.getrandbits(64)
        adds = []
        frag_core = p.frag_core[cur]
        cands = list(dict.fromkeys(viewed))
        for _ in range(min(len(cands), 1 + (rnd() < 0.3) + (rnd() < 0.1))):
            j = cands.pop(int(rnd() * len(cands)))
            qn = 1 if rnd() < 0.85 else 2
            t += 5000 + int(rnd() * 50_000)
            if not E(t, HT, f'{ids}{EV["Product Added"]}{{"cart_id":"{cart}",{frag_core[j]},"quantity":{qn}}}'
                            f'{ctxc}{prod_url[j]}{TE}'):
                return
            adds.append((j, qn))
            if rnd() < UNKNOWN_EVENT_RATE:
                unknown(t + 2000, prod_url[j], -1, cart)
        curl = home + "cart"
        if len(adds) > 1 and rnd() < 0.15:
            j, qn = adds.pop(int(rnd() * len(adds)))
            t += 3000 + int(rnd() * 30_000)
            if not E(t, HT, f'{ids}{EV["Product Removed"]}{{"cart_id":"{cart}",{frag_core[j]},"quantity":{qn}}}'
                            f'{ctxc}{curl}{TE}'):
                return
        if rnd() < 0.55:
            t += 2000 + int(rnd() * 20_000)
            if not E(t, HT, f'{ids}{EV["Cart Viewed"]}{{"cart_id":"{cart}"}}{ctxc}{curl}{TE}'):
                return
        if rnd() >= 0.55:
            return  # abandoned cart
        if registered and not logged and rnd() < 0.7:
            t += 5000 + int(rnd() * 30_000)
            if not identify(t, home + "account/login"):
                return
        items = [(j, qn, p.prod_price[cur][j]) for j, qn in adds]
        total = sum(qn * c for _, qn, c in items)
        oid = self._new_order_id()
        t += 10_000 + int(rnd() * 60_000)
        churl = home + "checkout"
        if not E(t, HT, f'{ids}{EV["Checkout Started"]}{{"cart_id":"{cart}","order_id":"{oid}","value":{_cents(total)},'
                        f'"currency":"{CURRENCIES[cur]}"}}{ctxc}{churl}{TE}'):
            return
        if rnd() < UNKNOWN_EVENT_RATE:
            unknown(t + 2000, churl, -1, cart)
        if rnd() >= 0.72:
            return  # abandoned checkout
        t += 30_000 + int(rnd() * 180_000)
        prods = ",".join([f'{{{frag_core[j]},"quantity":{qn}}}' for j, qn, _ in items])
        if not E(t, HT, f'{ids}{EV["Order Completed"]}{{"order_id":"{oid}","total":{_cents(total)},'
                        f'"currency":"{CURRENCIES[cur]}","products":[{prods}]}}{ctxc}{churl}/confirmation{TE}'):
            return
        if logged:
            ocid = cid
            oem = self.email[pi] if rnd() < 0.9 else ""
        else:
            ocid = ""
            oem = self.email[pi] if rnd() < 0.85 else p.alt_emails[self.lo + pi]
        self._record_order(oid, ocid, oem, t, cur, items)

    # ----------------------------------------------------------------- part files
    def _part(self, name, rows):
        with open(self.p.parts / f"{name}-{self.shard:03d}.csv", "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)

    def _write_crm_parts(self):
        self.contact_rows.sort(key=_KEY0)
        self._part("contacts", self.contact_rows)
        self.gt_contacts.sort()
        self._part("gt_contacts", self.gt_contacts)
        self._part("gt_devices", self.gt_devices)
        self._part("gt_persons", self.gt_persons)
        self.n_contacts = len(self.contact_rows)
        self.contact_rows = self.gt_contacts = self.gt_devices = self.gt_persons = None

    def _write_parts(self, st):
        w = self._part
        self.orders.sort(key=lambda o: (o[0], o[1]))
        orows, irows = [], []
        unattributed = 0
        for (t, oid, cid, em, status, cur, total, items) in self.orders:
            orows.append((oid, cid, em, _iso_ms(t), status, CURRENCIES[cur], _cents(total)))
            if not cid and not em:
                unattributed += 1
            for j, qn, c in items:
                irows.append((oid, self.p.prod_ids[j], qn, _cents(c)))
        w("orders", orows)
        w("order_items", irows)
        supp = sorted(((at, e, reason) for e, (reason, at) in self.supp.items()))
        w("suppression", [(e, reason, _iso_ms(at)) for at, e, reason in supp])
        st.update(orders=len(orows), order_items=len(irows), unattributed_orders=unattributed,
                  suppressed=len(supp), contacts=self.n_contacts,
                  duplicate_contacts=self.n_contacts - sum(1 for c in self.cids if c),
                  persons=self.n)


# =========================================================================== public API
def _clean(out: Path) -> None:
    ev = out / "events"
    if ev.is_dir():
        for d in sorted(ev.iterdir()):
            if d.is_dir() and re.fullmatch(r"\d{4}-\d{2}-\d{2}", d.name):
                for f in sorted(d.iterdir()):
                    if re.fullmatch(r"events-\d{3}\.jsonl(\.gz)?", f.name):
                        f.unlink()
                if not any(d.iterdir()):
                    d.rmdir()
    if (out / _PARTS).exists():
        shutil.rmtree(out / _PARTS)


def _concat(dest: Path, header, parts: list[Path]) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerow(header)
        for part in parts:
            with open(part, encoding="utf-8", newline="") as src:
                shutil.copyfileobj(src, fh, 1 << 20)


def generate(out_dir: str | Path, contacts: int = 1000, days: int = 30, seed: int = 42,
             as_of: datetime | None = None, gzip_every: int = 0,
             progress: Callable[[str], None] | None = None, *, workers: int | None = None) -> GenerationStats:
    """Write a realistic landing folder to ``out_dir``; see the module docstring.

    ``workers`` (keyword only) caps the number of forked worker processes (default: CPU count;
    never more than the number of shards; 1 runs everything in this process); the output does
    not depend on it.
    """
    t0 = time.perf_counter()
    if contacts < 1 or days < 1:
        raise ValueError("contacts and days must be >= 1")
    as_of = DEFAULT_AS_OF if as_of is None else as_of
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("as_of must be timezone-aware")
    as_of = as_of.astimezone(timezone.utc)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _clean(out)
    gc_was = gc.isenabled()
    gc.disable()
    try:
        plan, prod_rows = _build_plan(out, contacts, days, seed, as_of, gzip_every, progress)
    finally:
        if gc_was:
            gc.enable()
    plan.parts.mkdir(parents=True, exist_ok=True)
    (out / "events").mkdir(exist_ok=True)

    (out / "catalog").mkdir(exist_ok=True)
    with open(out / "catalog" / "products.csv", "w", newline="", encoding="utf-8") as fh:
        wr = csv.writer(fh, lineterminator="\n")
        wr.writerow(PRODUCT_COLUMNS)
        wr.writerows(prod_rows)
    if progress:
        progress(f"catalog: {len(prod_rows):,} products; {sum(len(v) for v in plan.campaigns.values())} email campaigns")

    n_shards = plan.n_shards
    day_lines = [0] * days
    day_done = [0] * days

    def on_msg(msg):
        _, shard, di, lines = msg
        day_lines[di] += lines
        day_done[di] += 1
        if day_done[di] == n_shards and progress:
            progress(f"events {plan.day_names[di]}: {day_lines[di]:,} lines")

    nproc = workers if workers is not None else (os.cpu_count() or 1)
    nproc = max(1, min(nproc, n_shards))
    global _PLAN, _QUEUE
    results: list[dict] = []
    if nproc > 1 and "fork" in mp.get_all_start_methods() and not mp.current_process().daemon:
        ctx = mp.get_context("fork")
        _PLAN, _QUEUE = plan, ctx.Queue()
        try:
            with ctx.Pool(nproc) as pool:
                res = pool.map_async(_shard_entry, range(n_shards), chunksize=1)
                while True:
                    try:
                        on_msg(_QUEUE.get(timeout=0.2))
                        continue
                    except queue.Empty:
                        pass
                    if res.ready():
                        break
                results = res.get()
                while sum(day_done) < n_shards * days:
                    on_msg(_QUEUE.get(timeout=5))
        finally:
            _PLAN, _QUEUE = None, None
    else:
        for s in range(n_shards):
            results.append(_Shard(plan, s, on_msg).run())

    # ---- merge part files
    parts = plan.parts
    P = lambda name: [parts / f"{name}-{s:03d}.csv" for s in range(n_shards)]  # noqa: E731
    _concat(out / "crm" / "contacts.csv", CONTACT_COLUMNS, P("contacts"))
    _concat(out / "orders" / "orders.csv", ORDER_COLUMNS, P("orders"))
    _concat(out / "orders" / "order_items.csv", ORDER_ITEM_COLUMNS, P("order_items"))
    _concat(out / "suppression" / "suppression.csv", SUPPRESSION_COLUMNS, P("suppression"))
    _concat(out / "ground_truth" / "contacts.csv", ("contact_id", "person_id"), P("gt_contacts"))
    _concat(out / "ground_truth" / "devices.csv", ("anonymous_id", "person_id"), P("gt_devices"))
    _concat(out / "ground_truth" / "persons.csv", GT_PERSON_COLUMNS, P("gt_persons"))
    shutil.rmtree(parts)

    stats = GenerationStats(products=len(prod_rows), day_folders=days)
    for r in results:
        for k in ("persons", "contacts", "duplicate_contacts", "devices", "orders", "order_items",
                  "unattributed_orders", "suppressed", "event_lines", "valid_events", "redelivered", "late",
                  "near_future", "unknown_event", "files"):
            setattr(stats, k, getattr(stats, k) + int(r[k]))
        for k, v in r["quarantine"].items():
            stats.quarantine[k] += int(v)
    stats.day_folders = sum(1 for d in plan.day_names if (out / "events" / d).is_dir())
    stats.seconds = round(time.perf_counter() - t0, 3)
    manifest = {k: v for k, v in stats.to_dict().items() if k != "seconds"}
    manifest["params"] = {"contacts": contacts, "days": days, "seed": seed,
                          "as_of": as_of.strftime("%Y-%m-%dT%H:%M:%SZ"), "gzip_every": gzip_every,
                          "first_day": plan.day_names[0], "last_day": plan.day_names[-1], "shards": n_shards}
    manifest["rates"] = dict(RATES)
    (out / "ground_truth").mkdir(exist_ok=True)
    with open(out / "ground_truth" / "manifest.json", "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
    if progress:
        progress(f"done: {stats.event_lines:,} event lines, {stats.contacts:,} contacts, {stats.orders:,} orders "
                 f"in {stats.seconds:.1f} s")
    return stats
