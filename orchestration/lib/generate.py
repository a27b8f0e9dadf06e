"""Realistic, deterministic sample data for the microseg landing folder.

Pure Python (stdlib + numpy, no dagster).  ``generate(out_dir, ...)`` writes a landing folder
that follows ``DATA_CONTRACT.md``::

    OUT/events/YYYY-MM-DD/events-NNN.jsonl[.gz]   Segment-spec events, one file per shard and day
    OUT/crm/contacts.csv                          messy CRM export (duplicates, typos, formats)
    OUT/orders/orders.csv, OUT/orders/order_items.csv
    OUT/catalog/products.csv
    OUT/suppression/suppression.csv
    OUT/ground_truth/{contacts,devices,persons}.csv, OUT/ground_truth/manifest.json

The same arguments give byte-identical files: every random draw comes from numpy
``default_rng`` / ``random.Random`` seeded from ``seed`` (per shard), nothing reads the wall
clock, and nothing iterates over sets or hashes.  Events are generated and written day by
day; per-person state lives in compact arrays, so memory does not grow with the number of
days.  Persons are split into shards (a fixed function of ``contacts``, never of the CPU
count); shards run in parallel worker processes when ``fork`` is available and each writes
its own ``events-NNN`` file per day, so the output does not depend on ``workers``.

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
late (sessions)       1.25 %    whole web sessions delivered 1-5 days after they happened (~1 % of lines)
unknown_event         ~0.3 %    valid track events named outside the contract table ("Coupon Applied", ...)
====================  ========  ===============================================================

The first six are quarantine reasons; ``event_lines == valid_events + redelivered +
sum(quarantine.values())`` always holds.  ``late`` counts valid first deliveries whose
timestamp is before the start of their received day; ``near_future`` those at or after its
end; ``unknown_event`` valid first deliveries of track events outside the contract's table.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import multiprocessing as mp
import os
import random
import re
import shutil
import time
import unicodedata
from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

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
HISTORICAL_SUPPRESSION_RATE = 0.022  # mailable emails suppressed before the window
ROLE_ADDRESS_RATE = 0.005
POS_ORDER_RATE = 0.0015  # in-window store orders per CRM person-day (active persons)
POS_UNATTRIBUTED_SHARE = 0.04  # store orders naming neither a contact nor an email

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
_ENC = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


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
_NAME_LOCALES = ("DE", "AT", "CH", "FR", "EN", "ES", "IT", "NL")

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

_GENDER_SPELL = {
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
_GENDER_TRUE = ("female", "male", "other")
LIFECYCLES = ("active", "occasional", "churned", "inactive", "new")
_SOURCES_PRIMARY = (("web_signup", 55), ("pos", 15), ("newsletter", 10), ("app", 10), ("import", 8), ("event", 2))
_SOURCES_DUP = (("pos", 35), ("import", 25), ("newsletter", 20), ("web_signup", 12), ("app", 5), ("event", 3))

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


def _ascii_local(s: str) -> str:
    s = _strip_accents(s.translate(_TRANSLIT)).lower()
    return re.sub(r"[^a-z0-9]", "", s)


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _strip_accents(s).lower()).strip("-")


def _wchoice(R: random.Random, items):
    """Choose from ((value, weight), ...)."""
    total = sum(w for _, w in items)
    x = R.random() * total
    for v, w in items:
        x -= w
        if x < 0:
            return v
    return items[-1][0]


def _cents(c: int) -> str:
    return f"{c // 100}.{c % 100:02d}"


def _iso_ms(ms: int) -> str:
    """UTC ISO-8601 with Z, second precision."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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


def _fmt_offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    m = abs(minutes)
    return f"{sign}{m // 60:02d}:{m % 60:02d}"


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
    return rows, dict(
        prod_ids=ids, prod_cat=cats, prod_sub=subs, prod_launch=launch, prod_new=new, prod_price=prices,
        frag_view=frag_view, frag_core=frag_core, prod_url=urls, plists=plists, new_by_cat=new_by_cat,
        old_by_cat=old_by_cat, queries=queries,
    )


def _make_campaigns(rng: np.random.Generator, day_starts: list[int]) -> dict:
    out: dict[int, list] = {}
    n = 0
    for di, ds in enumerate(day_starts):
        wd = date.fromordinal(_EPOCH_ORD + ds // _DAY_MS).weekday()
        dname = _date_str(ds // _DAY_MS).replace("-", "")
        kinds = []
        if wd in (1, 4):
            kinds.append("newsletter")
        if rng.random() < 0.18:
            kinds.append("promo")
        for kind in kinds:
            n += 1
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
    dom_tables = {c: tuple(_FREEMAIL[c]) + _OTHER_DOMAINS for c in COUNTRIES}
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


def _phone(R: random.Random, c: str, area: str, heavy: bool) -> str:
    cc = _CALLING[c]
    mob = _MOBILE[c]
    if mob and R.random() < 0.45:
        area = R.choice(mob)
    if c == "US":
        sub = f"555{R.randint(100, 199):04d}"[-7:]
        a, x3, x4 = area, sub[:3], sub[3:]
        return R.choice((f"+1 {a} {x3} {x4}", f"({a}) {x3}-{x4}", f"{a}-{x3}-{x4}", f"{a}{x3}{x4}",
                         f"+1-{a}-{x3}-{x4}", f"1-{a}-{x3}-{x4}", f"+1{a}{x3}{x4}"))
    if c == "GB" and area == "20":
        sub = f"7946{R.randint(0, 999):04d}"
    elif c == "GB" and area == "7700":
        sub = f"900{R.randint(0, 999):03d}"
    else:
        n = max(5, min(8, (10 if c in ("DE", "AT") else 9) - len(area)))
        sub = "".join(str(R.randint(0, 9)) for _ in range(n))
        sub = str(R.randint(2, 9)) + sub[1:]
    nat0 = "0" if c in _TRUNK0 else ""
    if c in ("ES", "IT"):
        digits = (area + sub)[:10 if c == "IT" else 9]
        g3 = " ".join(digits[i:i + 3] for i in range(0, len(digits), 3))
        styles = (f"+{cc} {g3}", f"+{cc}{digits}", f"00{cc}{digits}", digits, g3, g3.replace(" ", "-"),
                  f"(+{cc}) {digits}")
    elif c == "FR":
        digits = area + sub[:8 - len(area) + 1][:9 - len(area)]
        pairs = " ".join(digits[i:i + 2] for i in range(1, len(digits), 2))
        styles = (f"+33 {digits[0]} {pairs}", f"0{digits[0]} {pairs}", f"0{digits}", f"0033{digits}",
                  f"0{digits[0]}.{pairs.replace(' ', '.')}", f"+33{digits}")
    else:
        styles = (f"+{cc} {area} {sub}", f"{nat0}{area}/{sub}", f"+{cc} ({nat0 or '0'}){area} {sub}" if nat0 else f"+{cc} {area}{sub}",
                  f"00{cc}{area}{sub}", f"{nat0}{area} {sub}", f"+{cc}{area}{sub}",
                  f"({nat0}){area}-{sub[:3]} {sub[3:]}" if nat0 else f"{area}-{sub}", f"{nat0}{area}-{sub}")
    if not heavy:
        return styles[0] if R.random() < 0.5 else R.choice(styles)
    return R.choice(styles)


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
    v = R.randint(lo, hi)
    width = 4 if c in ("AT", "CH") else 5
    return f"{v:0{width}d}"


# =========================================================================== shard worker
_PLAN: _Plan | None = None
_QUEUE = None


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
        self.seq = 0

    # ----------------------------------------------------------------- persons & CRM
    def _setup(self):
        p, R, g = self.p, self.R, self.g
        lo, hi = self.lo, self.hi
        n = hi - lo
        gr = R.getrandbits
        self.contact_rows = []
        self.gt_contacts = []
        self.gt_devices = []
        self.gt_persons = []
        self.cids = []  # per person: list of contact ids (primary first)
        self.traits = {}  # contact id -> traits json
        self.mail_slots = []  # (pi, contact id, normalized email, hard bounce)
        self.email = []  # person's true email
        self.cur = []
        self.dev_first = []
        self.supp: dict[str, tuple] = {}
        dev_aid, dev_ctx, dev_style, dev_known, dev_mobile, dev_anon = [], [], [], [], [], []
        tzs = []
        as_of_ms = p.as_of_ms
        win_start = p.day_starts[0]
        for pi in range(n):
            i = lo + pi
            c = COUNTRIES[p.country[i]]
            ci = int(p.city[i])
            city = CITY_NAME[ci]
            gi = int(p.gender[i])
            birth = date.fromordinal(int(p.birth_ord[i])).isoformat()
            first, last = p.first_names[i], p.last_names[i]
            email = p.emails[i]
            self.email.append(email)
            self.cur.append(_COUNTRY_CUR.get(c, 0))
            tz = CITY_TZ[ci]
            tzs.append(_TZ_NAMES.index(tz))
            pid = f"P{i + 1:07d}"
            self.gt_persons.append((pid, _GENDER_TRUE[gi], birth, city, c, CATEGORIES[p.pref[i]], LIFECYCLES[p.life[i]]))
            # devices
            first_dev = len(dev_aid)
            self.dev_first.append(first_dev)
            registered_before = bool(p.in_crm[i]) and p.signup_ms[i] < win_start
            for k in range(int(p.ndev[i])):
                aid = _uuid(gr)
                kind = "mobile" if R.random() < 0.55 else ("desktop" if R.random() < 0.78 else "tablet")
                ua = R.choice(_USER_AGENTS[kind])
                ip = f"{R.choice(_IP_PREFIX)}{R.randint(1, 254)}"
                dev_aid.append(aid)
                dev_ctx.append('"context":{"ip":"' + ip + '","userAgent":' + _ENC(ua) + ',"page":{"url":"')
                r = R.random()
                dev_style.append(0 if r < 0.7 else (1 if r < 0.8 else 2 + tzs[-1]))
                dev_known.append(registered_before and R.random() < (0.6 if k == 0 else 0.3))
                dev_mobile.append(kind == "mobile")
                dev_anon.append(',"userId":null,"anonymousId":"' + aid + '"')
                self.gt_devices.append((aid, pid))
            # contacts
            cids = []
            if p.in_crm[i]:
                nrows = 1 + int(p.extras[i])
                area = CITY_AREA[ci]
                postal = _postal(R, c, CITY_POSTAL[ci])
                created0 = int(p.signup_ms[i])
                for r_i in range(nrows):
                    num = int(p.contact_nums[p.contact_off[i] + r_i])
                    cid = f"C{1_000_000 + num:07d}"
                    cids.append(cid)
                    heavy = r_i > 0
                    row, opt = self._crm_row(R, cid, c, city, postal, area, gi, birth, first, last, email,
                                             p.alt_emails[i], created0, heavy, bool(p.optin[i]), as_of_ms,
                                             win_start, int(p.life[i]))
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
                    if opt and e and "@" in e and " " not in e and e.count("@") == 1 and "." in e.split("@")[1] \
                            and not e.endswith(".") and all(s[3] != e for s in self.mail_slots[-3:]):
                        dom = e.split("@")[1]
                        bounce = dom not in {d for d, _ in _FREEMAIL[c]} and e != email.lower() \
                            and e != p.alt_emails[i].lower()
                        self.mail_slots.append((pi, cid, i, e, bounce))
            self.cids.append(cids)
        self.dev_aid, self.dev_ctx, self.dev_style = dev_aid, dev_ctx, dev_style
        self.dev_known, self.dev_mobile, self.dev_anon = dev_known, dev_mobile, dev_anon
        self.n = n
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
        self.signup = p.signup_ms[lo:hi].tolist()
        self.life = life.tolist()
        # historical suppression
        for (pi, cid, i, e, bounce) in self.mail_slots:
            if e in self.supp:
                continue
            r = R.random()
            if bounce and r < 0.5:
                self.supp[e] = ("bounced", int(p.signup_ms[i]) + int(R.uniform(1, 60) * _DAY_MS))
            elif r < HISTORICAL_SUPPRESSION_RATE:
                reason = _wchoice(R, (("unsubscribed", 60), ("bounced", 12), ("complained", 10), ("erasure", 8)))
                at = int(R.uniform(max(int(p.signup_ms[i]), win_start - 3 * 365 * _DAY_MS), win_start))
                self.supp[e] = (reason, at)
        # erasure requests from contacts that never opted in
        for row in self.contact_rows:
            e = row[1].strip().lower()
            if e and "@" in e and e not in self.supp and R.random() < 0.002:
                self.supp[e] = ("erasure", int(win_start - R.uniform(0, 400) * _DAY_MS))

    def _crm_row(self, R, cid, c, city, postal, area, gi, birth, first, last, email, alt, created0, heavy,
                 optin, as_of_ms, win_start, life):
        fn = _name_variant(first, R, heavy)
        ln = _name_variant(last, R, heavy)
        k = R.random()
        if not heavy:
            em = email if k < 0.92 else (_email_case_ws(email, R) if k < 0.965 else
                                         ("" if k < 0.985 else _malformed_email(email, R)))
        else:
            em = (email if k < 0.15 else _email_case_ws(email, R) if k < 0.45 else _typo_email(email, R)
                  if k < 0.60 else alt if k < 0.85 else "" if k < 0.95 else _malformed_email(email, R))
        ph = _phone(R, c, area, heavy) if R.random() < (0.8 if not heavy else 0.6) else ""
        loc = "DE" if c in ("DE", "AT", "CH") else ("FR" if c == "FR" else "XX")
        gs = _wchoice(R, _GENDER_SPELL[(loc, gi)]) if R.random() < (0.85 if not heavy else 0.6) else ""
        r = R.random()
        bd = birth if r < (0.75 if not heavy else 0.5) else ("1900-01-01" if r > 0.997 else "")
        r = R.random()
        if r < 0.90:
            ct = city
        elif r < 0.95:
            variants = _CITY_VARIANTS.get(city)
            ct = R.choice(variants) if variants and R.random() < 0.6 else _case_ws(city, R)
        else:
            ct = ""
        if heavy and R.random() < 0.2:
            ct = _accent_variant(ct, R) if ct else ct
        pc = postal if R.random() < 0.9 else ""
        r = R.random()
        co = c if r < 0.75 else (R.choice(_COUNTRY_NAMES[c]) if r < 0.95 else (c.lower() if r < 0.98 else ""))
        if heavy:
            created = created0 + int(R.uniform(-400, 400) * _DAY_MS)
            created = min(created, as_of_ms - _HOUR_MS)
            src = _wchoice(R, _SOURCES_DUP)
        else:
            created = created0
            src = _wchoice(R, _SOURCES_PRIMARY)
        created -= created % 1000
        updated = created + int(R.random() ** 3 * max(0, as_of_ms - created))
        updated = min(updated - updated % 1000, as_of_ms)
        opt = optin if not heavy else (R.random() < 0.5)
        r = R.random()
        if r < 0.08:
            ov = ""
            opt = False
        else:
            ov = R.choice(("true", "true", "1", "yes")) if opt else R.choice(("false", "false", "0", "no"))
        return (cid, em, fn, ln, ph, gs, bd, ct, pc, co, _iso_ms(created), _iso_ms(updated), ov, src), opt

    # ----------------------------------------------------------------- the run
    def run(self) -> dict:
        t0 = time.perf_counter()
        p = self.p
        self._setup()
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
        lam = (2.6, 1.1, 2.4, 1.6, 0.0)
        for pi in range(self.n):
            i = self.lo + pi
            if not p.in_crm[i]:
                continue
            li = self.life[pi]
            k = int(self.g.poisson(lam[li] * 1.0))
            if not k:
                continue
            if li == 2:
                hi_t = int(p.churn_ms[i])
            elif li == 3:
                hi_t = int(p.lastact_ms[i])
            else:
                hi_t = win_start - 1000
            lo_t = max(int(self.signup[pi]), hi_t - 2 * 365 * _DAY_MS)
            if hi_t <= lo_t:
                continue
            for _ in range(k):
                t = int(R.uniform(lo_t, hi_t))
                if li == 3 and R.random() < 0.5:
                    t = hi_t - int(R.random() * 3 * _DAY_MS)  # the last activity is an order
                self._offline_or_online_order(pi, i, t, pos=R.random() < 0.25)

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
        gr = R.getrandbits
        D = len(p.day_starts)
        as_of_ms = p.as_of_ms
        lo, hi, n = self.lo, self.hi, self.n
        tzt = [p.tz_table[z] for z in _TZ_NAMES]
        tz_off = [_fmt_offset(o) for o in range(-720, 841)]
        date_str = _date_str
        hhmm = _HHMM
        q = st["quarantine"]
        ring: list[str] = []
        pending: dict[int, list] = {}
        pend_sess: dict[int, list] = {}
        signup_day = {}
        win0 = p.day_starts[0]
        for pi in range(n):
            if p.life[lo + pi] == 4 and p.in_crm[lo + pi]:
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
        tz_of_person = [_TZ_STD[CITY_TZ[c]] for c in p.city[lo:hi].tolist()]
        cum_def = np.cumsum(_DEFECT_RATES).tolist()
        defect_total = cum_def[-1]
        nf_cut = defect_total + NEAR_FUTURE_RATE
        pos_ok = np.array([c == 0 or c == 1 or c == 2 for c in life_arr.tolist()]) & in_crm
        pos_rate = np.where(pos_ok, POS_ORDER_RATE * np.where(life_arr == 0, 1.5, 0.8), 0.0)

        def fmt(t, style):
            if style >= 2:
                times, offs = tzt[style - 2]
                off = offs[bisect_right(times, t) - 1]
                lt = t + off * 60_000
                dn, r = divmod(lt, _DAY_MS)
                s, ms = divmod(r, 1000)
                return f"{date_str(dn)}T{hhmm[s // 60]}:{s % 60:02d}.{ms:03d}{tz_off[off + 720]}"
            dn, r = divmod(t, _DAY_MS)
            s, ms = divmod(r, 1000)
            if style == 0:
                return f"{date_str(dn)}T{hhmm[s // 60]}:{s % 60:02d}.{ms:03d}Z"
            return f"{date_str(dn)}T{hhmm[s // 60]}:{s % 60:02d}Z"

        for di in range(D):
            day_start = p.day_starts[di]
            day_end = day_start + _DAY_MS
            limit = min(day_end, as_of_ms)
            buf = pending.pop(di, [])
            self.buf = buf
            self.di, self.D = di, D
            self.day_start, self.day_end = day_start, day_end
            self.pending = pending
            # ---- email campaigns
            for camp in p.campaigns.get(di, ()):
                self._campaign(camp, pend_sess)
            # ---- web sessions
            wd = date.fromordinal(_EPOCH_ORD + day_start // _DAY_MS).weekday()
            lam = rate * (1.2 if wd >= 5 else 1.0)
            lam = np.where((life_arr == 2) & (churn <= day_start), 0.0, lam)
            if is_new.any():
                pre = is_new & (signup > day_start)
                lam = np.where(pre & (signup - day_start <= 10 * _DAY_MS), 0.10, np.where(pre, 0.0, lam))
            counts = g.poisson(lam)
            who = np.nonzero(counts)[0]
            for pi, c in zip(who.tolist(), counts[who].tolist()):
                for _ in range(c):
                    hloc = min(23, bisect_right(hour_cum, rnd()))
                    off = tz_of_person[pi]
                    sec = (hloc * 3600 + int(rnd() * 3600) - off * 60) % 86400
                    t_start = day_start + sec * 1000 + int(rnd() * 1000)
                    late_recv = None
                    if rnd() < LATE_SESSION_RATE:
                        k = 1 + min(4, int(-math.log(1 - rnd()) * 1.5))
                        t_start -= k * _DAY_MS
                        late_recv = day_start + int(rnd() * (limit - day_start))
                    elif t_start >= limit:
                        continue
                    self._session(pi, t_start, late_recv=late_recv)
            for pi in signup_day.get(di, ()):
                self._session(pi, self.signup[pi], signup=True)
            for (t_s, pi, camp) in pend_sess.pop(di, ()):
                self._session(pi, t_s, camp=camp)
            # ---- store orders
            for pi in np.nonzero(g.random(n) < pos_rate)[0].tolist():
                t = day_start + int((rnd() * 10 + 8) * _HOUR_MS) - tz_of_person[pi] * 60_000
                if t >= limit or t < self.signup[pi] or (self.life[pi] == 2 and t >= churn[pi]):
                    continue
                self._offline_or_online_order(pi, lo + pi, t, pos=True)
            # ---- write the day's file
            buf.sort()
            out = []
            app = out.append
            nvalid = late = nf = unk = red = 0
            for (t_key, seq, t, style, head, body, flags) in buf:
                u = rnd()
                mid = _uuid(gr)
                if u < defect_total:
                    line = head + mid + '","timestamp":"' + fmt(t, style) + '"' + body
                    k = 0
                    while u >= cum_def[k]:
                        k += 1
                    app(self._corrupt(line, k, day_end))
                    q[QUARANTINE_REASONS[k]] += 1
                    continue
                if u < nf_cut and t >= day_start:
                    t = day_end + 1000 + int(rnd() * 20 * _HOUR_MS - 1000)
                    style = 0
                line = head + mid + '","timestamp":"' + fmt(t, style) + '"' + body
                app(line)
                nvalid += 1
                if t < day_start:
                    late += 1
                elif t >= day_end:
                    nf += 1
                if flags:
                    unk += 1
                if len(ring) < _RING:
                    ring.append(line)
                else:
                    ring[int(rnd() * _RING)] = line
                if rnd() < REDELIVERED_RATE:
                    app(ring[int(rnd() * len(ring))])
                    red += 1
            self.buf = None
            buf.clear()
            st["valid_events"] += nvalid
            st["late"] += late
            st["near_future"] += nf
            st["unknown_event"] += unk
            st["redelivered"] += red
            st["event_lines"] += len(out)
            if out:
                self._write_events(di, out)
                st["files"] += 1
            self.report(("day", self.shard, di, len(out)))
            del out

    def _write_events(self, di, lines):
        p = self.p
        d = p.out / "events" / p.day_names[di]
        d.mkdir(parents=True, exist_ok=True)
        data = ("\n".join(lines) + "\n").encode("utf-8")
        gz = p.gzip_every > 0 and (di + 1) % p.gzip_every == 0
        name = f"events-{self.shard:03d}.jsonl"
        if gz:
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
            t = day_end + 3 * _DAY_MS + int(R.random() * 727 * _DAY_MS)
            d["timestamp"] = _iso_ms(t)
        return _ENC(d)

    # ----------------------------------------------------------------- emails
    def _campaign(self, camp, pend_sess):
        p, R = self.p, self.R
        rnd = R.random
        gr = R.getrandbits
        send = camp["send_ms"]
        if send >= p.as_of_ms:
            return
        cid_ = camp["campaign_id"]
        cat = camp["category"]
        share = camp["share"]
        base = '"properties":{"campaign_id":' + _ENC(cid_) + ',"email_id":"'
        open_p = (0.42, 0.22, 0.10, 0.04, 0.48)
        emit = self._emit_server
        for (pi, cid, i, e, bounce) in self.mail_slots:
            if e in self.supp or rnd() >= share:
                continue
            if self.signup[pi] > send:  # not yet a subscriber
                continue
            eid = "em_" + "%016x" % gr(64)
            var = ""
            if camp["ab"]:
                var = ',"variant":"' + ("A" if rnd() < 0.5 else "B") + '"'
            props = base + eid + '"' + var
            ids = ',"userId":"' + cid + '"'
            t = send + int(rnd() * 40 * 60_000)
            if bounce or rnd() < 0.003:
                emit(t, ids, "Email Bounced", props + "}")
                if bounce:
                    self.supp[e] = ("bounced", t)
                continue
            emit(t, ids, "Email Delivered", props + "}")
            li = self.life[pi]
            po = open_p[li] * (1.6 if cat == p.pref[i] else 1.0) * (1.15 if var.endswith('B"') else 1.0)
            if rnd() < 0.0005:
                t2 = t + int(rnd() * 6 * _HOUR_MS)
                emit(t2, ids, "Email Marked as Spam", props + "}")
                self.supp[e] = ("complained", t2)
                continue
            if rnd() >= po:
                continue
            t_open = t + int(60_000 + (-math.log(1 - rnd())) * 5 * _HOUR_MS)
            if not emit(t_open, ids, "Email Opened", props + "}"):
                continue
            if rnd() < (0.006 if li in (0, 4) else 0.02):
                t_u = t_open + int(rnd() * 120_000)
                if emit(t_u, ids, "Unsubscribed", props + "}"):
                    self.supp[e] = ("unsubscribed", t_u)
                continue
            if rnd() < 0.14 * (2.0 if cat == p.pref[i] else 1.0):
                t_c = t_open + 5_000 + int(rnd() * 240_000)
                url = camp["url"]
                if emit(t_c, ids, "Email Link Clicked", props + ',"url":' + _ENC(url) + "}") and rnd() < 0.85:
                    ts = t_c + 2_000 + int(rnd() * 20_000)
                    di2 = (ts - p.day_starts[0]) // _DAY_MS
                    if di2 == self.di:
                        self._session(pi, ts, camp=camp)
                    elif di2 < self.D:
                        pend_sess.setdefault(int(di2), []).append((ts, pi, camp))

    def _emit_server(self, t, ids, name, props) -> bool:
        """A server-side (ESP) track event: userId only, no context."""
        return self._route(t, '{"type":"track","messageId":"',
                           ids + ',"event":"' + name + '",' + props + "}", 0, 0)

    def _route(self, t, head, body, style, flags, late_recv=None) -> bool:
        if t >= self.p.as_of_ms:
            return False
        self.seq += 1
        if late_recv is not None:
            self.buf.append((late_recv, self.seq, t, style, head, body, flags))
        elif t < self.day_end:
            self.buf.append((t, self.seq, t, style, head, body, flags))
        else:
            di = (t - self.p.day_starts[0]) // _DAY_MS
            if di >= self.D:
                return False
            self.pending.setdefault(di, []).append((t, self.seq, t, style, head, body, flags))
        return True

    # ----------------------------------------------------------------- web sessions
    def _session(self, pi, t, camp=None, signup=False, late_recv=None):
        p, R = self.p, self.R
        rnd = R.random
        i = self.lo + pi
        nd = int(p.ndev[i])
        d0 = self.dev_first[pi]
        if camp is not None:  # email clicks mostly on the phone
            mob = [d for d in range(d0, d0 + nd) if self.dev_mobile[d]]
            dev = mob[0] if mob and rnd() < 0.7 else d0 + int(rnd() * nd)
        else:
            dev = d0 if (nd == 1 or rnd() < 0.6) else d0 + 1 + int(rnd() * (nd - 1))
        style = self.dev_style[dev]
        ctxp = self.dev_ctx[dev]
        aid = self.dev_aid[dev]
        anon_ids = self.dev_anon[dev]
        cids = self.cids[pi]
        registered = bool(cids) and self.signup[pi] <= t
        cid = (cids[0] if len(cids) == 1 or rnd() < 0.85 else R.choice(cids[1:])) if cids else None
        both_ids = ',"userId":"' + cid + '","anonymousId":"' + aid + '"' if cid else anon_ids
        logged = registered and self.dev_known[dev] and rnd() < 0.75
        ids = both_ids if logged else anon_ids
        cur = self.cur[pi]
        route = self._route
        seq_late = [late_recv]

        def emit(tt, head, body, flags=0):
            lr = seq_late[0]
            if lr is not None:
                seq_late[0] = lr + 1
            return route(tt, head, body, style, flags, lr)

        HT = '{"type":"track","messageId":"'
        HP = '{"type":"page","messageId":"'
        HI = '{"type":"identify","messageId":"'
        home = _SHOP + "/"

        def track(tt, name, props, url, flags=0):
            return emit(tt, HT, ids + ',"event":"' + name + '","properties":' + props + "," + ctxp + url + '"}}}',
                        flags)

        def page(tt, name, path, url, title, tail='"}}}'):
            return emit(tt, HP, ids + ',"name":"' + name + '","properties":{"path":' + _ENC(path) + ',"url":'
                        + _ENC(url) + ',"title":' + _ENC(title) + "}," + ctxp + url + tail)

        def unknown(tt, url, j=-1, cart=None):
            if j >= 0 and rnd() < 0.7:
                name = R.choice(_UNKNOWN_PRODUCT)
                props = '{"product_id":"' + p.prod_ids[j] + '","category":' + _ENC(CATEGORIES[p.prod_cat[j]]) + "}"
            elif cart:
                name = R.choice(_UNKNOWN_CART)
                props = '{"cart_id":"' + cart + '","coupon":"' + R.choice(("WELCOME10", "AUTUMN15", "FREESHIP")) + '"}'
            else:
                name = R.choice(_UNKNOWN_OTHER)
                props = "{}"
            return track(tt, name, props, url, 1)

        def identify(tt, url):
            nonlocal ids, logged
            ids = both_ids
            logged = True
            self.dev_known[dev] = True
            ok = emit(tt, HI, ids + ',"traits":' + self.traits[cid] + "," + ctxp + url + '"}}}')
            return ok and track(tt + 150 + int(rnd() * 400), "Signed In", "{}", url)

        # ---- landing
        if signup:
            t = t - int(60_000 + rnd() * 240_000)
        if camp is not None:
            url = camp["url"]
            tail = '"}' + camp["camp_frag"] + "}}"
            lcat = camp["category"] if camp["category"] >= 0 else -1
            ok = page(t, "Category" if lcat >= 0 else "Home", url.split("?")[0][len(_SHOP):] or "/", url,
                      "Shop" if lcat < 0 else CATEGORIES[lcat], tail)
        else:
            lcat = -1
            r = rnd()
            if r < 0.22:
                src, med, nm = _PAID_CAMPAIGNS[int(rnd() * len(_PAID_CAMPAIGNS))]
                url = f"{home}?utm_source={src}&utm_medium={med}&utm_campaign={nm}"
                tail = '"},"campaign":{"source":"' + src + '","medium":"' + med + '","name":"' + nm + '"}}}'
            else:
                url, tail = home, '"}}}'
            ok = page(t, "Home", "/", url, "Shop", tail)
        if not ok:
            return
        if rnd() < UNKNOWN_EVENT_RATE:
            unknown(t + 4000, url)
        # ---- sign-up flow
        if signup and cid:
            t += 20_000 + int(rnd() * 40_000)
            url = home + "account/register"
            page(t, "Sign Up", "/account/register", url, "Create account")
            t = max(t + 10_000, self.signup[pi])
            ids = both_ids
            logged = True
            self.dev_known[dev] = True
            emit(t, HT, ids + ',"event":"Signed Up","properties":{},' + ctxp + url + '"}}}')
            emit(t + 300, HI, ids + ',"traits":' + self.traits[cid] + "," + ctxp + url + '"}}}')
            registered = True
        login_at = -1
        if registered and not logged and rnd() < 0.22:
            login_at = int(rnd() * 3)
        # ---- browse
        cat = lcat if lcat >= 0 else self.catpick[pi][int(rnd() * 16)]
        r = rnd()
        t += 3000 + int(rnd() * 30_000)
        step = 0
        if r < 0.62 or lcat >= 0:
            pl = p.plists[self.pkey[pi]][cat]
            sub = p.prod_sub[pl[int(rnd() * len(pl))]]
            lurl = f"{home}c/{_slug(CATEGORIES[cat])}"
            if rnd() < 0.3:
                page(t, "Category", lurl[len(_SHOP):], lurl, CATEGORIES[cat])
                t += 500
            if not track(t, "Product List Viewed", '{"category":' + _ENC(CATEGORIES[cat]) + ',"list_id":"'
                         + _slug(CATEGORIES[cat]) + "-" + _slug(sub) + '"}', lurl):
                return
            url = lurl
        elif r < 0.84:
            qs = p.queries[cat]
            qry = qs[int(rnd() * len(qs))]
            if rnd() < 0.08:
                qry = _typo(qry, R)
            surl = f"{home}search?q={qry.replace(' ', '+')}"
            if rnd() < 0.3:
                page(t, "Search Results", "/search", surl, "Search")
                t += 500
            if not track(t, "Products Searched", '{"query":' + _ENC(qry) + "}", surl):
                return
            url = surl
        if login_at == step:
            t += 2000
            if not identify(t, url):
                return
        viewed = []
        nv = 1 + int(-math.log(1 - rnd()) * self.depth[pi])
        new_by_cat = p.new_by_cat[cat]
        for v in range(nv):
            t += 8000 + int(rnd() * 90_000)
            if new_by_cat and rnd() < 0.07:
                j = new_by_cat[int(rnd() * len(new_by_cat))]
                if p.prod_launch[j] > t:
                    j = self._pick_product(pi, t, cat if rnd() < 0.75 else -1)
            else:
                j = self._pick_product(pi, t, cat if rnd() < 0.75 else -1)
            viewed.append(j)
            url = p.prod_url[j]
            if rnd() < 0.25:
                page(t, "Product", url[len(_SHOP):], url, "Product")
                t += 300
            if not track(t, "Product Viewed", p.frag_view[cur][j], url):
                return
            if rnd() < 0.04:
                t += 2000 + int(rnd() * 10_000)
                track(t, "Video Playback Started", '{"video_id":"vid_' + p.prod_ids[j][4:] + '","category":'
                      + _ENC(CATEGORIES[p.prod_cat[j]]) + "}", url)
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
        cands = list(dict.fromkeys(viewed))
        for _ in range(min(len(cands), 1 + (rnd() < 0.3) + (rnd() < 0.1))):
            j = cands.pop(int(rnd() * len(cands)))
            qn = 1 if rnd() < 0.85 else 2
            t += 5000 + int(rnd() * 50_000)
            if not track(t, "Product Added", '{"cart_id":"' + cart + '",' + p.frag_core[cur][j] + ',"quantity":'
                         + str(qn) + "}", p.prod_url[j]):
                return
            adds.append((j, qn))
            if rnd() < UNKNOWN_EVENT_RATE:
                unknown(t + 2000, p.prod_url[j], -1, cart)
        if len(adds) > 1 and rnd() < 0.15:
            j, qn = adds.pop(int(rnd() * len(adds)))
            t += 3000 + int(rnd() * 30_000)
            if not track(t, "Product Removed", '{"cart_id":"' + cart + '",' + p.frag_core[cur][j]
                         + ',"quantity":' + str(qn) + "}", home + "cart"):
                return
        curl = home + "cart"
        if rnd() < 0.55:
            t += 2000 + int(rnd() * 20_000)
            if not track(t, "Cart Viewed", '{"cart_id":"' + cart + '"}', curl):
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
        if not track(t, "Checkout Started", '{"cart_id":"' + cart + '","order_id":"' + oid + '","value":'
                     + _cents(total) + ',"currency":"' + CURRENCIES[cur] + '"}', churl):
            return
        if rnd() < UNKNOWN_EVENT_RATE:
            unknown(t + 2000, churl, -1, cart)
        if rnd() >= 0.72:
            return  # abandoned checkout
        t += 30_000 + int(rnd() * 180_000)
        prods = ",".join("{" + p.frag_core[cur][j] + ',"quantity":' + str(qn) + "}" for j, qn, _ in items)
        if not track(t, "Order Completed", '{"order_id":"' + oid + '","total":' + _cents(total) + ',"currency":"'
                     + CURRENCIES[cur] + '","products":[' + prods + "]}", churl + "/confirmation"):
            return
        if logged:
            ocid = cid
            oem = self.email[pi] if rnd() < 0.9 else ""
        else:
            ocid = ""
            oem = self.email[pi] if rnd() < 0.85 else p.alt_emails[i]
        self._record_order(oid, ocid, oem, t, cur, items)

    # ----------------------------------------------------------------- part files
    def _write_parts(self, st):
        parts = self.p.parts
        s = self.shard

        def w(name, rows):
            with open(parts / f"{name}-{s:03d}.csv", "w", newline="", encoding="utf-8") as fh:
                csv.writer(fh, lineterminator="\n").writerows(rows)

        self.contact_rows.sort(key=lambda r: r[0])
        w("contacts", self.contact_rows)
        self.gt_contacts.sort()
        w("gt_contacts", self.gt_contacts)
        w("gt_devices", self.gt_devices)
        w("gt_persons", self.gt_persons)
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
                  suppressed=len(supp), contacts=len(self.contact_rows),
                  duplicate_contacts=len(self.contact_rows) - sum(1 for c in self.cids if c),
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

    ``workers`` (keyword only) caps the number of worker processes (default: CPU count); the
    output does not depend on it.
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
    plan, prod_rows = _build_plan(out, contacts, days, seed, as_of, gzip_every, progress)
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
    if nproc > 1 and "fork" in mp.get_all_start_methods():
        ctx = mp.get_context("fork")
        _PLAN, _QUEUE = plan, ctx.Queue()
        try:
            with ctx.Pool(nproc) as pool:
                res = pool.map_async(_shard_entry, range(n_shards), chunksize=1)
                while True:
                    try:
                        on_msg(_QUEUE.get(timeout=0.2))
                        continue
                    except Exception:  # queue.Empty
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
