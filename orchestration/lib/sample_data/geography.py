"""Reference tables of the generated world's geography: countries, currencies, phone plans, cities, time zones.

Pure data (stdlib only). Row order matters: the generator draws cities by index, so reordering a table
changes the output for a seed.
"""

from __future__ import annotations

from typing import NamedTuple

COUNTRIES = ("DE", "FR", "GB", "US", "ES", "IT", "NL", "AT", "CH")
COUNTRY_WEIGHTS = (0.30, 0.15, 0.12, 0.12, 0.08, 0.08, 0.06, 0.05, 0.04)
CURRENCIES = ("EUR", "GBP", "USD")
EUR_EXCHANGE_RATES = (1.0, 0.86, 1.08)  # one EUR in each of CURRENCIES
COUNTRY_CURRENCY_INDEX = {"GB": 1, "US": 2}  # index into CURRENCIES; every other country pays in EUR
CALLING_CODES = {"DE": "49", "FR": "33", "GB": "44", "US": "1", "ES": "34", "IT": "39", "NL": "31",
                 "AT": "43", "CH": "41"}
TRUNK_PREFIX_COUNTRIES = {"DE", "FR", "GB", "NL", "AT", "CH"}  # national numbers dialled with a leading 0
COUNTRY_NAMES = {
    "DE": ("Germany", "Deutschland"), "FR": ("France",), "GB": ("United Kingdom", "UK", "Great Britain"),
    "US": ("United States", "USA"), "ES": ("Spain", "España"), "IT": ("Italy", "Italia"),
    "NL": ("Netherlands", "Nederland"), "AT": ("Austria", "Österreich"),
    "CH": ("Switzerland", "Schweiz", "Suisse"),
}
MOBILE_PREFIXES = {"DE": ("151", "160", "170", "171", "176", "1520"), "FR": ("6", "7"), "GB": ("7700",),
                   "US": (), "ES": ("6",), "IT": ("3",), "NL": ("6",), "AT": ("664", "676", "699"),
                   "CH": ("76", "78", "79")}

# standard-time UTC offset (minutes) of each time zone a city can be in; summer time per time_zone_transitions
TIME_ZONE_STANDARD_OFFSET_MIN = {"EU": 60, "UK": 0, "US_E": -300, "US_C": -360, "US_M": -420, "US_AZ": -420,
                                 "US_P": -480}
TIME_ZONES = tuple(TIME_ZONE_STANDARD_OFFSET_MIN)


class City(NamedTuple):
    """A real city, town or village.

    postal_spec: a (lo, hi) numeric range; ("GB", outward codes...); ("NL", lo, hi); or ("WIEN",).
    name_locale: the country whose first and last names its people have, when not its own (Genève: FR).
    """

    name: str
    country: str
    population_k: float  # thousands of inhabitants
    time_zone: str  # a key of TIME_ZONE_STANDARD_OFFSET_MIN
    phone_area: str  # area code without the trunk prefix
    postal_spec: tuple
    name_locale: str = ""


CITIES: list[City] = [City(*row) for row in (
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
)]
CITY_NAME = [c.name for c in CITIES]
CITY_COUNTRY = [c.country for c in CITIES]
CITY_POPULATION_K = [c.population_k for c in CITIES]
CITY_TIME_ZONE = [c.time_zone for c in CITIES]
CITY_PHONE_AREA = [c.phone_area for c in CITIES]
CITY_POSTAL_SPEC = [c.postal_spec for c in CITIES]
CITY_LOCALE = [c.name_locale or c.country for c in CITIES]
CITY_URBAN = [c.population_k >= 100 for c in CITIES]  # 100k people or more
# other spellings of a city that people type (English names, transliterations, abbreviations)
CITY_VARIANTS: dict[str, tuple[str, ...]] = {
    "München": ("Munich", "Muenchen"), "Köln": ("Cologne", "Koeln"), "Nürnberg": ("Nuremberg", "Nuernberg"),
    "Frankfurt am Main": ("Frankfurt", "Frankfurt a.M."), "Düsseldorf": ("Duesseldorf",),
    "Freiburg im Breisgau": ("Freiburg",), "Wien": ("Vienna",), "Zürich": ("Zurich", "Zuerich"),
    "Genève": ("Geneva", "Geneve", "Genf"), "Roma": ("Rome",), "Milano": ("Milan",), "Napoli": ("Naples",),
    "Torino": ("Turin",), "Firenze": ("Florence",), "Sevilla": ("Seville",), "Den Haag": ("The Hague", "'s-Gravenhage"),
    "New York": ("New York City", "NYC"), "Málaga": ("Malaga",), "Saint-Émilion": ("Saint-Emilion", "St-Émilion"),
    "Bad Tölz": ("Bad Toelz",), "Kitzbühel": ("Kitzbuehel",),
}
