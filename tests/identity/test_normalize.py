import random
import re
from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd
import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.lib import sample_data as gen
from orchestration.lib.core.pii import sha256_hex
from orchestration.lib.identity import normalize as nz
from orchestration.lib.identity.normalize import (
    NORMALIZED_COLUMNS,
    REJECTION_COLUMNS,
    REJECTION_REASONS,
    clean_name,
    fold_name,
    normalize_birth_date,
    normalize_contacts,
    normalize_country,
    normalize_email,
    normalize_gender,
    normalize_phone,
    normalize_postal_code,
)
from orchestration.lib.identity.normalize import contacts as nz_contacts
from orchestration.lib.identity.normalize import email as nz_email
from orchestration.lib.identity.normalize import phone as nz_phone

AS_OF = date(2026, 11, 1)
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def stg_frame(rows: list[dict]) -> pd.DataFrame:
    """A staging.stg_crm__contacts-shaped frame; unspecified fields are empty (None)."""
    base = {c: None for c in nz.INPUT_COLUMNS}
    out = []
    for i, row in enumerate(rows):
        r = dict(base, contact_id=f"c{i + 1}", source_file="crm/contacts.csv", line_no=i + 2)
        r.update(row)
        out.append(r)
    return pd.DataFrame(out, columns=list(nz.INPUT_COLUMNS))


def stg_from_csv(path) -> pd.DataFrame:
    """Roughly what staging.stg_crm__contacts makes of a contacts CSV (trim, empty -> NULL, email lower)."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    clean = lambda s: s.str.strip().replace("", None)  # noqa: E731
    return pd.DataFrame({
        "contact_id": raw.contact_id, "email": clean(raw.email).str.lower(),
        "first_name": clean(raw.first_name), "last_name": clean(raw.last_name), "phone_raw": clean(raw.phone),
        "gender_raw": clean(raw.gender), "birth_date_raw": clean(raw.birth_date), "city": clean(raw.city),
        "postal_code": clean(raw.postal_code), "country_raw": clean(raw.country),
        "email_opt_in": raw.email_opt_in.isin(["true", "1", "yes"]), "signup_source": clean(raw.source),
        "created_at": raw.created_at, "updated_at": raw.updated_at, "source_file": "crm/contacts.csv",
        "line_no": np.arange(2, len(raw) + 2),
    })


def phonenumbers_oracle(raw: str, region: str | None) -> tuple[str | None, str]:
    """What phonenumbers itself says of a raw phone (leading 00 read as +)."""
    try:
        number = phonenumbers.parse(re.sub(r"^\s*00", "+", raw), region)
    except phonenumbers.NumberParseException:
        return None, "unparsable"
    if not phonenumbers.is_valid_number(number):
        return None, "invalid"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), "valid"


@pytest.fixture(scope="module")
def generated(generated_world):
    path = generated_world.landing / "crm" / "contacts.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    normalized, rejections = normalize_contacts(stg_from_csv(path), AS_OF)
    return raw, normalized, rejections, path


# =========================================================================== email
@pytest.mark.parametrize("raw, email, domain", [
    ("anna@x.de", "anna@x.de", "x.de"),
    ("  Anna.Schmidt@GMAIL.com ", "anna.schmidt@gmail.com", "gmail.com"),
    ("a+news@web.de", "a+news@web.de", "web.de"),
    ("j.o'brien@t-online.de", "j.o'brien@t-online.de", "t-online.de"),
    ("jürgen@müller.de", "jürgen@müller.de", "müller.de"),
    ("a@xn--mller-kva.de", "a@müller.de", "müller.de"),
    ("anna@gmail.con", "anna@gmail.con", "gmail.con"),  # a typo, but syntactically fine
])
def test_normalize_email_good_address_is_valid_and_normalised(raw, email, domain):
    assert normalize_email(raw) == (email, "valid", domain)


@pytest.mark.parametrize("raw", [None, "", "   ", float("nan"), pd.NA])
def test_normalize_email_missing_is_empty(raw):
    assert normalize_email(raw) == (None, "empty", None)


@pytest.mark.parametrize("raw", [
    "n/a", "-", "anna@@x.de", "anna@gmail", "anna@gmail.com.", "anna schmidt@x.de", "anna @x.de", "anna@",
    "annagmail.com", "a..b@x.de", ".a@x.de", "a@-x.de", "a@x-.de", "a@ab--cd.de", "a@b.test", "a@x.localhost",
    "Anna <anna@x.de>", "a@x.d1",
])
def test_normalize_email_bad_syntax_is_malformed_and_keeps_text(raw):
    result = normalize_email(raw)
    assert result == (raw.strip().lower(), "malformed", None)


@pytest.mark.parametrize("raw, domain", [
    ("x@mailinator.com", "mailinator.com"),
    ("X@Mailinator.COM", "mailinator.com"),
    ("x@eu.mailinator.com", "eu.mailinator.com"),  # a subdomain of a disposable domain
])
def test_normalize_email_disposable_domain_is_disposable(raw, domain):
    assert normalize_email(raw)[1:] == ("disposable", domain)


@pytest.mark.parametrize("raw", ["info@firma.de", "Kontakt@Firma.de", "info+shop@firma.de", "noreply@x.com",
                                 "no-reply@x.com", "office@kanzlei.at", "hello@studio.example"])
def test_normalize_email_role_local_part_is_role(raw):
    assert normalize_email(raw).status == "role"


@pytest.mark.parametrize("raw", ["anna.info@x.de", "information@x.de", "infox@x.de"])
def test_normalize_email_role_word_inside_local_part_is_valid(raw):
    assert normalize_email(raw).status == "valid"


_LOCAL = st.text(alphabet="abcxyz019._+-'!#~Aü @\"", min_size=0, max_size=12)
_LABEL = st.text(alphabet="abcxyz019-ü。ｄ_", min_size=0, max_size=8)
_TLD = st.sampled_from(["de", "com", "co", "d", "test", "local", "localhost", "arpa", "x1", "onion", "invalid",
                        "example", "a" * 64, "xn--p1ai", "1de", "c-m", "ｄe", "de。"])
_ADDRESS = st.builds(lambda lo, labels, tld, pad: lo + "@" + ".".join(labels + [tld]) + pad,
                     _LOCAL, st.lists(_LABEL, min_size=0, max_size=3), _TLD,
                     st.sampled_from(["", ".", " ", "@", "。", "@x"]))
_ADVERSARIAL = ["a@" + "b" * 63 + ".de", "a@" + "b" * 64 + ".de", "a" * 240 + "@" + "b" * 10 + ".de",
                "a" * 250 + "@b.de", "a@b." + "c" * 63, "a@b." + "c" * 64, "-a@b.de", "a-@b.de", "a@b-.c.de",
                "a@b.-c.de", "a@b..de", "a@xn--b.de", "a@b.xn--de", "a@-.de", "_@b.de", "+@b.de", "a@b_c.de",
                "a@b。de", "a@bｄe", "a b@c.de", '"a b"@c.de', "a@b.de.", "a@", "@b.de", "a@b", "a@[1.2.3.4]",
                '"a@b"@c.de', "Anna <a@b.de>", "a@b.de。"]


@pytest.mark.parametrize("text", _ADVERSARIAL)
def test_fast_email_path_adversarial_accepts_only_what_email_validator_accepts(text):
    assert_fast_email_agrees(text)


@FAST
@given(st.one_of(_ADDRESS, st.text(max_size=40)))
def test_fast_email_path_random_accepts_only_what_email_validator_accepts(text):
    assert_fast_email_agrees(text.lower())


def assert_fast_email_agrees(text):
    if text and nz_email._certainly_malformed(text):
        with pytest.raises(EmailNotValidError):
            validate_email(text, check_deliverability=False)
    domain = nz_email._fast_email_domain(text)
    if domain is None:
        return
    checked = validate_email(text, check_deliverability=False)  # raises if the fast path was wrong
    assert (checked.normalized, checked.domain) == (text, domain)


def test_fast_email_path_generator_addresses_mostly_take_it(generated):
    raw = generated[0]
    emails = [e.strip().lower() for e in raw.email if e.strip()]
    fast = [e for e in emails if nz_email._fast_email_domain(e)]
    assert len(fast) / len(emails) > 0.9
    for e in fast:
        assert_fast_email_agrees(e)


@FAST
@given(st.one_of(_ADDRESS, st.text(max_size=40)))
def test_normalize_email_any_text_is_idempotent_and_never_raises(text):
    result = normalize_email(text)
    assert result.status in nz.EMAIL_STATUSES
    if result.email is not None:
        assert normalize_email(result.email) == result


def test_normalize_email_validator_fallback_is_not_called_for_plain_addresses(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("email_validator called")
    monkeypatch.setattr(nz_email, "validate_email", boom)
    assert normalize_email("anna.schmidt84@gmail.com").status == "valid"
    with pytest.raises(AssertionError):
        normalize_email("anna@@x.de")


# =========================================================================== phone
@pytest.mark.parametrize("raw, country, e164", [
    ("+49 30 2345678", "DE", "+49302345678"),
    ("030/2345678", "DE", "+49302345678"),
    ("+49 (0)30 2345678", "DE", "+49302345678"),
    ("(0)30-234 5678", "DE", "+49302345678"),
    ("0049302345678", None, "+49302345678"),
    ("0049 30 2345678", "FR", "+49302345678"),
    ("(+34) 612345678", "ES", "+34612345678"),
    ("0034612345678", "ES", "+34612345678"),
    ("612 345 678", "ES", "+34612345678"),
    ("+1 212 555 0142", "US", "+12125550142"),
    ("(212) 555-0142", "US", "+12125550142"),
    ("1-212-555-0142", "US", "+12125550142"),
    ("212.555.0142", "us", "+12125550142"),
    ("+39 06 1234 5678", "IT", "+390612345678"),
    ("06 1234 5678", "IT", "+390612345678"),
    ("0039025735270", "IT", "+39025735270"),
    ("+41 (0)79 1234567", "CH", "+41791234567"),
    ("079 123 45 67", "CH", "+41791234567"),
    ("06-12345678", "NL", "+31612345678"),
    ("+31 (0)20 1234567", "NL", "+31201234567"),
    ("0664/1234567", "AT", "+436641234567"),
    ("06.12.34.56.78", "FR", "+33612345678"),
    ("+33 6 12 34 56 78", None, "+33612345678"),
    ("020 7946 0123", "GB", "+442079460123"),
    ("+44 7911 123456", "GB", "+447911123456"),
    ("+1 800 FLOWERS", None, "+18003569377"),
    ("+49 30 2345678 ext. 12", "DE", "+49302345678"),
])
def test_normalize_phone_human_format_is_valid_e164(raw, country, e164):
    assert normalize_phone(raw, country) == (e164, "valid")


@pytest.mark.parametrize("raw", [None, "", "  ", float("nan")])
def test_normalize_phone_missing_is_empty(raw):
    assert normalize_phone(raw, "DE") == (None, "empty")


@pytest.mark.parametrize("raw, country", [("abc", "DE"), ("n/a", "DE"), ("030 2345678", None),
                                          ("030 2345678", "Germany"), ("+0 123", None), ("+", "DE")])
def test_normalize_phone_not_a_number_is_unparsable(raw, country):
    assert normalize_phone(raw, country) == (None, "unparsable")


@pytest.mark.parametrize("raw, country", [("+49 30 12", "DE"), ("+44 7700 900123", "GB"), ("+49 151 8315347", "DE"),
                                          ("0612", "FR"), ("+1 212 055 0142", None)])
def test_normalize_phone_impossible_number_is_invalid(raw, country):
    assert normalize_phone(raw, country) == (None, "invalid")


@pytest.mark.parametrize("raw, country", [
    ("0000000000", "DE"), ("+49 1111111", "DE"), ("123456789", "DE"), ("0123456789", "FR"),
    ("+49 123456789", "DE"), ("987654321", "US"), ("12345678", None), ("+33 0000 0000", None), ("00000", None),
])
def test_normalize_phone_dummy_digits_are_placeholder(raw, country):
    assert normalize_phone(raw, country) == (None, "placeholder")


_PREFIXES = ["", "0", "00", "1", "49", "4930", "49151", "491520", "33", "336", "337", "44", "447", "4420", "44117",
             "1212", "1800", "39", "3906", "393", "34", "346", "31", "316", "3167", "43", "43664", "41", "4179",
             "7", "61", "55", "54", "52", "353", "3531", "30", "0030", "030", "06", "07", "079", "0664", "011"]
_REGIONS = [None, "DE", "FR", "GB", "US", "ES", "IT", "NL", "AT", "CH", "CA", "AU", "BR", "AR", "RU", "JE", "MX"]


@FAST
@given(st.sampled_from(["+", ""]), st.sampled_from(_PREFIXES), st.text(alphabet="0123456789", max_size=12),
       st.sampled_from(_REGIONS))
def test_fast_phone_path_random_digits_agree_with_phonenumbers(plus, prefix, digits, region):
    key = plus + prefix + digits
    fast = nz_phone._fast_phone(key, region)
    if fast is not None:
        assert fast == nz_phone._parse_phone(key, region)


def test_normalize_phone_generator_sample_matches_phonenumbers(generated):
    raw = generated[0]
    n_fast = 0
    for phone, country in zip(raw.phone, raw.country):
        if not phone:
            continue
        region = normalize_country(country)[0]
        result = normalize_phone(phone, region)
        assert result == phonenumbers_oracle(phone, region), phone
        n_fast += nz_phone._fast_phone(nz_phone._phone_key(phone.strip()), region) is not None
    assert n_fast > 0.9 * (raw.phone != "").sum()


def test_normalize_phone_generator_known_country_is_always_read_as_a_number(generated):
    raw = generated[0]
    statuses, prefixes_ok = set(), True
    for phone, country in zip(raw.phone, raw.country):
        region = normalize_country(country)[0]
        if not phone or region is None:
            continue
        e164, status = normalize_phone(phone, region)
        statuses.add(status)
        prefixes_ok &= e164 is None or e164.startswith("+" + gen.CALLING_CODES[region])
    # "invalid" here are the generator's own out-of-plan numbers (10-digit 0151/01520 mobiles, Ofcom's
    # 07700 900xxx drama range, short UK geographic numbers, unallocated FR/NL mobile ranges)
    assert statuses <= {"valid", "invalid"} and prefixes_ok


@FAST
@given(st.text(max_size=30), st.sampled_from(_REGIONS))
def test_normalize_phone_any_text_never_raises_and_valid_is_e164(text, region):
    e164, status = normalize_phone(text, region)
    assert status in nz.PHONE_STATUSES
    assert (e164 is not None) == (status == "valid")
    if e164:
        assert re.fullmatch(r"\+[1-9]\d{5,16}", e164)
        assert normalize_phone(e164, None) == (e164, "valid")


# =========================================================================== names
@pytest.mark.parametrize("raw, clean", [
    ("JEAN-PIERRE", "Jean-Pierre"), ("o'neil", "O'Neil"), ("McDonald", "McDonald"), ("  anna   maria ", "Anna Maria"),
    ("de Jong", "de Jong"), ("MÜLLER", "Müller"), ("élodie", "Élodie"), ("ÉTRETAT", "Étretat"),
    ("frankfurt a.m.", "Frankfurt A.M."), ("wittstock/dosse", "Wittstock/Dosse"), ("3RD AVENUE", "3rd Avenue"),
    ("Anna", "Anna"), ("", None), ("   ", None), (None, None),
])
def test_clean_name_case_and_whitespace_are_fixed(raw, clean):
    assert clean_name(raw) == clean


@pytest.mark.parametrize("variants", [
    ("Müller", "Mueller", "Muller", "MÜLLER", " müller "),
    ("Schröder", "Schroeder", "Schroder"),
    ("Jürgen", "Juergen", "Jurgen", "JÜRGEN"),
    ("Zürich", "Zuerich", "Zurich"),
    ("Genève", "Geneve", "GENÈVE"),
    ("Jean-Pierre", "jean pierre", "JEAN PIERRE", "Jean Pierre"),
    ("O'Neil", "O Neil", "o-neil"),
    ("Sarlat-la-Canéda", "Sarlat la Caneda"),
    ("Straße", "Strasse", "STRASSE"),
    ("Øster", "Oster"), ("Łódź", "Lodz"), ("Bad Tölz", "Bad Toelz"), ("Frankfurt a.M.", "Frankfurt a M"),
    ("Weiß", "Weiss"), ("Dæhlie", "Daehlie"),
])
def test_fold_name_spelling_variants_fold_equal(variants):
    assert len({fold_name(v) for v in variants}) == 1


@pytest.mark.parametrize("a, b", [("Müller", "Miller"), ("Anna", "Anne"), ("Meier", "Maier"), ("Jan", "Jana")])
def test_fold_name_different_names_stay_different(a, b):
    assert fold_name(a) != fold_name(b)


@pytest.mark.parametrize("raw", [None, "", "  ", "-", "'.'"])
def test_fold_name_nothing_left_is_none(raw):
    assert fold_name(raw) is None


def test_fold_name_generator_variants_of_every_name_fold_equal():
    R = random.Random(3)
    names = sorted({n for v in gen.FIRST_NAMES.values() for n in v} | {n for v in gen.LAST_NAMES.values() for n in v})
    for name in names:
        variants = {name, name.translate(gen.TRANSLITERATION), gen.strip_accents(name), name.upper(), name.lower(),
                    gen.accent_variant(name, R), gen.case_whitespace_variant(name, R),
                    gen.case_whitespace_variant(name, R)}
        assert len({fold_name(v) for v in variants}) == 1, variants
        for v in variants:
            cleaned = clean_name(v)
            assert cleaned.casefold() == " ".join(v.split()).casefold()
            assert cleaned[0].isupper() or cleaned == name  # "de Jong" is kept as given
            assert not (cleaned.isupper() and len(cleaned) > 1)


@pytest.mark.parametrize("city, variant", [
    ("München", "Muenchen"), ("Köln", "Koeln"), ("Nürnberg", "Nuernberg"), ("Düsseldorf", "Duesseldorf"),
    ("Zürich", "Zuerich"), ("Zürich", "Zurich"), ("Genève", "Geneve"), ("Málaga", "Malaga"),
    ("Saint-Émilion", "Saint-Emilion"), ("Bad Tölz", "Bad Toelz"), ("Kitzbühel", "Kitzbuehel"),
])
def test_fold_name_generator_city_transliterations_fold_equal(city, variant):
    assert variant in gen.CITY_VARIANTS[city]
    assert fold_name(city) == fold_name(variant)


@FAST
@given(st.text(max_size=30))
def test_fold_name_any_text_is_idempotent(text):
    folded = fold_name(text)
    assert fold_name(folded) == folded
    assert folded is None or (folded == folded.strip() and "  " not in folded)


@FAST
@given(st.text(max_size=30))
def test_clean_name_any_text_is_idempotent(text):
    cleaned = clean_name(text)
    assert clean_name(cleaned) == cleaned


# =========================================================================== gender
@pytest.mark.parametrize("raw, gender", [
    ("F", "female"), ("female", "female"), ("Female ", "female"), ("w", "female"), ("weiblich", "female"),
    ("Frau", "female"), ("femme", "female"), ("f.", "female"), ("Mme", "female"), ("Mme.", "female"),
    ("mujer", "female"), ("donna", "female"), ("vrouw", "female"), ("V", "female"), ("woman", "female"),
    ("M", "male"), ("male", "male"), ("m", "male"), ("männlich", "male"), ("MÄNNLICH", "male"), ("mann", "male"),
    ("homme", "male"), ("hombre", "male"), ("uomo", "male"), ("man", "male"), ("Herr", "male"),
    ("d", "other"), ("divers", "other"), ("diverse", "other"), ("other", "other"), ("non-binary", "other"),
    ("Non Binary", "other"), ("x", "other"), ("X", "other"), ("autre", "other"),
])
def test_normalize_gender_usual_spelling_is_mapped(raw, gender):
    assert normalize_gender(raw) == (gender, None)


@pytest.mark.parametrize("raw", [None, "", "  ", "unknown", "n/a", "-", "keine Angabe", "k.A.", "?"])
def test_normalize_gender_empty_or_no_answer_is_missing_without_reason(raw):
    assert normalize_gender(raw) == (None, None)


@pytest.mark.parametrize("raw", ["banana", "fm", "mf", "binary", "17"])
def test_normalize_gender_unknown_text_is_unrecognized(raw):
    assert normalize_gender(raw) == (None, "unrecognized_gender")


def test_normalize_gender_every_generator_spelling_maps_to_its_truth():
    for (_, truth), items in gen.GENDER_SPELLING_WEIGHTS.items():
        for spelling, _ in items:
            assert normalize_gender(spelling) == (gen.GENDERS[truth], None), spelling


# =========================================================================== country
@pytest.mark.parametrize("raw, code", [
    ("DE", "DE"), ("de", "DE"), (" De ", "DE"), ("DEU", "DE"), ("deu", "DE"), ("Germany", "DE"),
    ("Deutschland", "DE"), ("Allemagne", "DE"), ("Österreich", "AT"), ("Oesterreich", "AT"), ("Schweiz", "CH"),
    ("Suisse", "CH"), ("España", "ES"), ("Espana", "ES"), ("Espagne", "ES"), ("Italia", "IT"), ("Nederland", "NL"),
    ("Holland", "NL"), ("The Netherlands", "NL"), ("United Kingdom", "GB"), ("UK", "GB"), ("u.k.", "GB"),
    ("Great Britain", "GB"), ("England", "GB"), ("USA", "US"), ("U.S.A.", "US"), ("United States", "US"),
    ("united  states of america", "US"), ("France", "FR"), ("Poland", "PL"), ("POL", "PL"), ("Japan", "JP"),
])
def test_normalize_country_code_or_name_is_alpha2(raw, code):
    assert normalize_country(raw) == (code, None)


@pytest.mark.parametrize("raw", ["Atlantis", "EU", "xx", "Europe", "123x"])
def test_normalize_country_unknown_text_is_unknown_country(raw):
    assert normalize_country(raw) == (None, "unknown_country")


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_normalize_country_empty_is_missing_without_reason(raw):
    assert normalize_country(raw) == (None, None)


def test_normalize_country_every_generator_spelling_maps_to_its_code():
    for code, names in gen.COUNTRY_NAMES.items():
        for raw in (code, code.lower(), *names):
            assert normalize_country(raw) == (code, None), raw


# =========================================================================== postal code
@pytest.mark.parametrize("raw, country, postal", [
    ("80331", "DE", "80331"), (" 80 331 ", "DE", "80331"), ("01067", "DE", "01067"), ("sw1a4te", "GB", "SW1A 4TE"),
    ("SW1A  4TE", "GB", "SW1A 4TE"), ("ec1a 1bb", "gb", "EC1A 1BB"), ("1234ab", "NL", "1234 AB"),
    ("1234  AB", "NL", "1234 AB"), ("75001", "FR", "75001"), ("k1a  0b1", "CA", "K1A 0B1"), ("123 45", None, "123 45"),
    ("12345-6789", "US", "12345-6789"), ("", "DE", None), (None, "GB", None),
])
def test_normalize_postal_code_spacing_and_case_are_canonical(raw, country, postal):
    assert normalize_postal_code(raw, country) == postal


# =========================================================================== birth date
@pytest.mark.parametrize("raw, day", [
    ("1990-05-17", date(1990, 5, 17)), (" 1990-05-17 ", date(1990, 5, 17)), ("17.05.1990", date(1990, 5, 17)),
    ("1990/05/17", date(1990, 5, 17)), ("1990-5-7", date(1990, 5, 7)), ("2026-11-01", AS_OF),
    ("1906-11-01", date(1906, 11, 1)),
])
def test_normalize_birth_date_accepted_format_is_parsed(raw, day):
    assert normalize_birth_date(raw, AS_OF) == (day, None)


@pytest.mark.parametrize("raw", ["yesterday", "2026-02-30", "1990-13-01", "05/17/1990", "1990-05", "19900517"])
def test_normalize_birth_date_not_a_date_is_unparsable(raw):
    assert normalize_birth_date(raw, AS_OF) == (None, "unparsable_date")


@pytest.mark.parametrize("raw", ["1900-01-01", "0001-01-01", "0000-00-00", "00.00.0000", "1899-12-31",
                                 "9999-12-31", "2026-11-02", "2030-01-01", "1906-10-31", "1850-06-01"])
def test_normalize_birth_date_placeholder_future_or_too_old_is_impossible(raw):
    assert normalize_birth_date(raw, AS_OF) == (None, "impossible_date")


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_normalize_birth_date_empty_is_missing_without_reason(raw):
    assert normalize_birth_date(raw, AS_OF) == (None, None)


def test_normalize_birth_date_datetime_as_of_and_leap_day_work():
    assert normalize_birth_date("1900-02-28", date(2020, 2, 29)) == (date(1900, 2, 28), None)  # no 1900-02-29
    assert normalize_birth_date("1900-02-27", date(2020, 2, 29)) == (None, "impossible_date")
    assert normalize_birth_date("2026-11-01", datetime(2026, 11, 1, 23, 0)) == (AS_OF, None)


# =========================================================================== normalize_contacts
MESSY = [
    dict(email="anna@x.de", first_name="ANNA", last_name="müller", phone_raw="030 2345678", gender_raw="w",
         birth_date_raw="1990-05-17", city="MÜNCHEN", postal_code="80 331", country_raw="Deutschland"),
    dict(email="Anna@X.de ", first_name=" Anna ", last_name="Mueller", phone_raw="+49 30 2345678", gender_raw="F",
         birth_date_raw="17.05.1990", city="Muenchen", postal_code="80331", country_raw="de"),
    dict(email="n/a", phone_raw="12345678", gender_raw="banana", birth_date_raw="1900-01-01", country_raw="Atlantis"),
    dict(),
    dict(email="info@firma.de", phone_raw="abc", birth_date_raw="yesterday", country_raw="GB", postal_code="sw1a4te"),
    dict(email="x@mailinator.com", phone_raw="+44 7700 900123", gender_raw="x", country_raw="UK"),
]


def test_normalize_contacts_messy_rows_keep_every_row_in_order():
    df = stg_frame(MESSY).iloc[::-1]  # a non-default index must not matter
    normalized, _ = normalize_contacts(df, AS_OF)
    assert tuple(normalized.columns) == NORMALIZED_COLUMNS
    assert normalized.contact_id.tolist() == ["c6", "c5", "c4", "c3", "c2", "c1"]
    assert normalized.line_no.tolist() == [7, 6, 5, 4, 3, 2]


def test_normalize_contacts_messy_rows_are_normalised():
    n, _ = normalize_contacts(stg_frame(MESSY), AS_OF)
    row = n.iloc[0]
    assert (row.email, row.email_status, row.email_domain) == ("anna@x.de", "valid", "x.de")
    assert (row.first_name, row.last_name, row.first_name_folded, row.last_name_folded) == \
        ("Anna", "Müller", "anna", "muller")
    assert (row.phone_e164, row.phone_status, row.gender, row.birth_date, row.birth_year) == \
        ("+49302345678", "valid", "female", date(1990, 5, 17), 1990)
    assert (row.city, row.city_folded, row.postal_code, row.country) == ("München", "munchen", "80331", "DE")
    assert n.email_status.tolist() == ["valid", "valid", "malformed", "empty", "role", "disposable"]
    assert n.phone_status.tolist() == ["valid", "valid", "placeholder", "empty", "unparsable", "invalid"]
    assert n.gender.tolist()[:2] == ["female", "female"] and n.gender.tolist()[5] == "other"
    assert n.postal_code.iloc[4] == "SW1A 4TE" and n.country.tolist()[4:] == ["GB", "GB"]
    assert n.email_hash.isna().tolist() == [False, False, True, True, False, False]
    assert pd.isna(n.birth_date.iloc[2]) and pd.isna(n.birth_year.iloc[2]) and pd.isna(n.country.iloc[2])


def test_normalize_contacts_same_email_and_phone_spelled_differently_hash_equal():
    n, _ = normalize_contacts(stg_frame(MESSY), AS_OF)
    assert n.email_hash.iloc[0] == n.email_hash.iloc[1] == sha256_hex("anna@x.de")
    assert n.phone_hash.iloc[0] == n.phone_hash.iloc[1] == sha256_hex("+49302345678")
    assert n.first_name_folded.iloc[0] == n.first_name_folded.iloc[1]
    assert n.last_name_folded.iloc[0] == n.last_name_folded.iloc[1]
    assert n.city_folded.iloc[0] == n.city_folded.iloc[1]
    assert n.phone_hash.iloc[2:].isna().all()


def test_normalize_contacts_messy_rows_emit_one_rejection_per_bad_value():
    _, rejections = normalize_contacts(stg_frame(MESSY), AS_OF)
    assert tuple(rejections.columns) == REJECTION_COLUMNS
    got = list(rejections[["contact_id", "field", "raw_value", "reason"]].itertuples(index=False, name=None))
    assert got == [
        ("c3", "email", "n/a", "malformed_email"), ("c3", "phone", "12345678", "placeholder_phone"),
        ("c3", "gender", "banana", "unrecognized_gender"), ("c3", "country", "Atlantis", "unknown_country"),
        ("c3", "birth_date", "1900-01-01", "impossible_date"),
        ("c5", "email", "info@firma.de", "role_email"), ("c5", "phone", "abc", "unparsable_phone"),
        ("c5", "birth_date", "yesterday", "unparsable_date"),
        ("c6", "email", "x@mailinator.com", "disposable_email"), ("c6", "phone", "+44 7700 900123", "invalid_phone"),
    ]
    assert rejections.line_no.tolist() == [4] * 5 + [6] * 3 + [7] * 2
    assert set(rejections.reason) <= set(REJECTION_REASONS)


def test_normalize_contacts_empty_frame_gives_empty_frames():
    normalized, rejections = normalize_contacts(stg_frame([]), AS_OF)
    assert len(normalized) == 0 and tuple(normalized.columns) == NORMALIZED_COLUMNS
    assert len(rejections) == 0 and tuple(rejections.columns) == REJECTION_COLUMNS


def test_normalize_contacts_missing_column_names_it():
    with pytest.raises(ValueError, match="phone_raw"):
        normalize_contacts(stg_frame(MESSY).drop(columns=["phone_raw"]), AS_OF)


def test_normalize_contacts_output_writes_to_duckdb_with_sql_types():
    normalized, rejections = normalize_contacts(stg_frame(MESSY[2:4]), AS_OF)  # no valid email, date, phone
    con = duckdb.connect()
    con.register("normalized_df", normalized)
    con.register("rejections_df", rejections)
    con.execute("create table normalized as select * from normalized_df")
    con.execute("create table rejections as select * from rejections_df")
    types = dict(con.execute("select column_name, data_type from information_schema.columns "
                             "where table_name = 'normalized'").fetchall())
    assert types["birth_date"] == "DATE" and types["birth_year"] == "BIGINT"
    assert all(types[c] == "VARCHAR" for c in ("email", "email_domain", "email_hash", "phone_e164", "phone_hash",
                                              "first_name_folded", "gender", "country", "postal_code"))
    assert con.execute("select count(*), count(email), count(email_hash) from normalized").fetchall() == [(2, 1, 0)]
    assert con.execute("select count(*) from rejections").fetchall() == [(5,)]

    normalized, _ = normalize_contacts(stg_frame(MESSY[:1]), AS_OF)
    con.register("one_df", normalized)
    assert con.execute("select birth_date, birth_year, phone_e164 from one_df").fetchall() == \
        [(date(1990, 5, 17), 1990, "+49302345678")]


def test_normalize_contacts_worker_processes_give_the_same_result(generated, monkeypatch):
    _, normalized, rejections, path = generated
    monkeypatch.setattr(nz_contacts, "PHONE_POOL_MIN", 10)
    monkeypatch.setattr(nz_contacts, "PHONE_CHUNK", 37)
    pooled_normalized, pooled_rejections = normalize_contacts(stg_from_csv(path), AS_OF)
    pd.testing.assert_frame_equal(pooled_normalized, normalized)
    pd.testing.assert_frame_equal(pooled_rejections, rejections)


# =========================================================================== the generator's mess
def test_normalize_contacts_generator_sample_keeps_every_row(generated):
    raw, normalized = generated[:2]
    assert len(normalized) == len(raw) and normalized.contact_id.tolist() == raw.contact_id.tolist()


def test_normalize_contacts_generator_sample_genders_countries_and_dates_all_map(generated):
    raw, normalized, rejections = generated[:3]
    assert not set(rejections.reason) & {"unrecognized_gender", "unknown_country", "unparsable_date"}
    given_gender = raw.gender.str.strip() != ""
    assert normalized.gender[given_gender].isin(["female", "male", "other"]).all()
    given_country = raw.country.str.strip() != ""
    assert normalized.country[given_country].isin(gen.COUNTRIES).all()
    impossible = rejections[rejections.reason == "impossible_date"]
    assert set(impossible.raw_value) <= {"1900-01-01"}
    given_date = (raw.birth_date != "") & (raw.birth_date != "1900-01-01")
    assert normalized.birth_date[given_date].notna().all()


def test_normalize_contacts_generator_sample_emails_names_cities_are_normalised(generated):
    raw, normalized = generated[:2]
    given = raw.email.str.strip() != ""
    assert (normalized.email[given] == raw.email[given].str.strip().str.lower()).all()
    assert normalized.email_status[given].isin(["valid", "malformed", "role", "disposable"]).all()
    assert (normalized.email_status[given] == "valid").mean() > 0.9
    roles = normalized.email[normalized.email_status == "role"].str.split("@").str[0]
    assert roles.isin(gen.ROLE_LOCAL_PARTS).all()
    for column in ("first_name", "last_name", "city"):
        cleaned = normalized[column].dropna()
        assert (cleaned == cleaned.str.strip()).all() and not cleaned.str.contains("  ").any()
        assert not cleaned[cleaned.str.len() > 3].str.isupper().any()
        assert normalized[f"{column}_folded" if column != "city" else "city_folded"].notna().sum() == len(cleaned)


def test_normalize_contacts_generator_sample_phones_are_e164_when_valid(generated):
    raw, normalized = generated[:2]
    given = (raw.phone != "") & (raw.country != "")
    assert normalized.phone_status[given].isin(["valid", "invalid"]).all()
    assert (normalized.phone_status[given] == "valid").mean() > 0.75
    valid = normalized.phone_status == "valid"
    assert normalized.phone_e164[valid].str.fullmatch(r"\+[1-9]\d{6,14}").all()
    assert (normalized.phone_hash[valid] == normalized.phone_e164[valid].map(sha256_hex)).all()
