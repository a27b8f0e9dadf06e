"""The comparators (lib/identity/matching/comparison.py): agreement levels of value pairs."""

import numpy as np
import pandas as pd
import pytest

from orchestration.lib.identity.match_config import parse_config
from orchestration.lib.identity.matching import compare, prepare

EMAIL_CONFIG = parse_config({"id": "id", "fields": [{"name": "email", "column": "email", "comparator": "email"}],
                             "blocking": [["email"]]}, "match.yml")
EXACT, TYPO, DIFFERENT = 0, 1, 2


def email_level(a: str, b: str) -> int:
    prep = prepare(pd.DataFrame({"id": ["1", "2"], "email": [a, b]}), EMAIL_CONFIG)
    levels, _ = compare(prep, EMAIL_CONFIG, np.array([0]), np.array([1]))
    return int(levels[0, 0])


@pytest.mark.parametrize("a, b, level", [
    ("anna.mueller@x.de", "anna.mueller@x.de", EXACT),
    ("anna.mueller@gmail.com", "anna.mueller@gmial.com", TYPO),        # the domain one edit away
    ("anna.mueller@x.de", "anna.muller@x.de", TYPO),                  # the local part one edit away
    ("katharina.schulte@web.de", "katharina.schutle@web.de", TYPO),    # a transposition is one edit
    ("anna.mueller@x.de", "anna.muelle@x.de", TYPO),
    ("anna.mueller@gmail.com", "anna.mueller@hotmail.com", DIFFERENT),
    ("anna.mueller@x.de", "anna.muller@y.de", DIFFERENT),             # another local part and another domain
    ("anna.mueller@gmail.com", "anna.muller@gmial.com", DIFFERENT),   # two typos
    ("anna.mueller@x.de", "anna.mueler@x.de", TYPO),
    ("anna.mueller@x.de", "anna.mieler@x.de", DIFFERENT),             # two edits
    ("anna.mueller84@x.de", "anna.mueller85@x.de", DIFFERENT),        # digits: another account
    ("anna.mueller@x.de", "anna.mueller4@x.de", DIFFERENT),
    ("a.mueller@x.de", "j.mueller@x.de", DIFFERENT),                  # another initial: another person
    ("anna.maier@x.de", "anna.baier@x.de", DIFFERENT),
    ("marie.mercier@x.de", "mariemercier@x.de", DIFFERENT),           # separators: namesakes
    ("marie.mercier@x.de", "marie_mercier@x.de", DIFFERENT),
])
def test_email_levels(a, b, level):
    assert email_level(a, b) == level
    assert email_level(b, a) == level


CONTACT = {"contact_id": "X1", "first_name": "Anna", "last_name": "Müller", "email": "anna.mueller@web.de",
           "birth_date": "1984-03-12", "city": "Berlin", "postal_code": "10115", "country": "DE"}


@pytest.mark.parametrize("other, level", [
    ({"email": "anna.muller@web.de"}, TYPO),                                   # the same person, one typo
    ({"email": "anna.mueller@wbe.de"}, TYPO),
    ({"first_name": "Anja", "email": "anja.mueller@web.de"}, DIFFERENT),       # the names differ the same way
    ({"last_name": "Möller", "email": "anna.moeller@web.de"}, DIFFERENT),
    ({"first_name": "Anja", "email": "anna.muller@web.de"}, TYPO),             # not the edit of a name
])
def test_email_local_part_typo_unless_the_names_differ_the_same_way(other, level):
    from orchestration.lib.identity import contacts_config
    from orchestration.lib.identity.dedupe_file import contacts_frame

    config = contacts_config()
    frame = contacts_frame(pd.DataFrame([CONTACT, {**CONTACT, "contact_id": "X2", **other}]))
    levels, _ = compare(prepare(frame, config), config, np.array([0]), np.array([1]))
    assert levels[0, [f.name for f in config.fields].index("email")] == level
