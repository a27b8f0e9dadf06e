"""Reference tables about people: first and last names by locale, email domains, how genders are spelt,
lifecycles and CRM contact sources.

Pure data. Order matters: the generator draws by index, so reordering a table changes the output for a seed.
"""

from __future__ import annotations

from orchestration.lib.sample_data.weighted import WeightedTable

# first names by (locale, gender index 0 female / 1 male)
FIRST_NAMES: dict[tuple[str, int], list[str]] = {
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
LAST_NAMES: dict[str, list[str]] = {
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
LAST_NAMES["IT"] = [n for n in LAST_NAMES["IT"] if n not in ("De", "Luca")] + ["De Luca"]
LAST_NAMES["NL"] = ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
                    "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
                    "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra"]
# the first-name and last-name locale of a country (keys of FIRST_NAMES / LAST_NAMES)
FIRST_NAME_LOCALE = {"DE": "DE", "AT": "DE", "CH": "DE", "FR": "FR", "GB": "EN", "US": "EN", "ES": "ES",
                     "IT": "IT", "NL": "NL"}
LAST_NAME_LOCALE = {"DE": "DE", "AT": "AT", "CH": "CH", "FR": "FR", "GB": "EN", "US": "EN", "ES": "ES",
                    "IT": "IT", "NL": "NL"}

# free-mail providers per country, with their weights
FREEMAIL_DOMAINS = {
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
# example and company domains anyone may use
OTHER_DOMAINS = (("example.com", 2.0), ("example.org", 1.0), ("example.net", 1.0), ("acme-corp.example", 1.5),
                 ("globex.example", 1.2), ("initech.example", 1.0), ("umbrella-group.example", 0.8),
                 ("northwind-traders.example", 0.8), ("contoso-ltd.example", 0.7))
# how people misspell the big providers
DOMAIN_TYPOS = {
    "gmail.com": ("gmial.com", "gmai.com", "gamil.com", "gmail.co", "gmail.con"),
    "web.de": ("web.d", "wbe.de", "web.dee"), "gmx.de": ("gmx.d", "gxm.de", "gmx.dee"),
    "outlook.com": ("outlok.com", "outlook.co", "otlook.com"), "yahoo.com": ("yaho.com", "yahooo.com"),
    "hotmail.com": ("hotmial.com", "hotmail.co", "hotmai.com"), "orange.fr": ("orange.fe", "ornage.fr"),
    "t-online.de": ("t-onlien.de", "tonline.de"), "icloud.com": ("icoud.com", "icloud.co"),
}
# role addresses (info@...) of small businesses at "<last name>-<trade>.example"
ROLE_LOCAL_PARTS = ("info", "kontakt", "office", "contact", "sales", "hello", "service")
COMPANY_TRADES = ("elektro", "bau", "design", "consulting", "logistik", "bakery", "garden", "studio", "trading", "media")

# how a gender is typed into a CRM: (spelling locale "DE" / "FR" / "XX" = any other, gender index) ->
# ((spelling, weight), ...)
GENDER_SPELLING_WEIGHTS = {
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
GENDER_SPELLINGS = {k: WeightedTable(v) for k, v in GENDER_SPELLING_WEIGHTS.items()}
GENDERS = ("female", "male", "other")
LIFECYCLES = ("active", "occasional", "churned", "inactive", "new")
# the `source` column of a person's first contact row, and of duplicate rows
PRIMARY_CONTACT_SOURCES = WeightedTable((("web_signup", 55), ("pos", 15), ("newsletter", 10), ("app", 10),
                                         ("import", 8), ("event", 2)))
DUPLICATE_CONTACT_SOURCES = WeightedTable((("pos", 35), ("import", 25), ("newsletter", 20), ("web_signup", 12),
                                           ("app", 5), ("event", 3)))
# why an address was suppressed before the window
HISTORICAL_SUPPRESSION_REASONS = WeightedTable((("unsubscribed", 60), ("bounced", 12), ("complained", 10),
                                                ("erasure", 8)))
