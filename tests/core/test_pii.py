"""PII masking (lib/core/pii.py): phone numbers masked, timestamps (whole or cut off) left readable."""

import pytest

from orchestration.lib.core import mask_pii, sha256_hex


def phone_mask(digits: str) -> str:
    return f"<phone:{sha256_hex(digits)[:8]}>"


@pytest.mark.parametrize("text", [
    "2026-10-01T10:00:00Z",
    "2026-10-01T10:00:00.123+02:00",
    "2026-10-01T10:00",
    "2026-10-01 10:00",
    "2026-10-01 10:00:0",
    "2026-10-01T10:00:00+0",
    "2026-10-01T1",
    "2026-10-0",
    "2026/10/01 10:00",
    "20261001T1000",
    "20261001T1000Z",
    "20261001T10",
    "20261001",
    "31.10.2026 18:22",
    "12/10/2026",
    "10/12/2026 14:03:22",
    "0000-00-00T00:00:00Z",        # the generator's bad timestamps stay readable in quarantine samples
    "2026-13-45T25:00:00Z",
    "10:00:00 2026-10-01",
])
def test_timestamps_stay_readable(text):
    assert mask_pii(text) == text


@pytest.mark.parametrize("line", [
    '{"type":"track","event":"Order Completed","timestamp":"2026-10-01T10:00:0',
    '{"messageId":"m1","timestamp":"2026-10-0',
    '{"messageId":"m1","timestamp":"20261001T10',
    "C1001,Anna,Schulte,2026-10-01 10:00:0",
])
def test_a_raw_line_cut_mid_timestamp_stays_readable(line):
    assert mask_pii(line) == line


@pytest.mark.parametrize("text, masked", [
    ("+49 30 1234567", phone_mask("49301234567")),
    ("(030) 123-4567", phone_mask("0301234567")),
    ("0049301234567", phone_mask("0049301234567")),
    ("0049-30-1234567", phone_mask("0049301234567")),
    ("2012-11-1234567", phone_mask("2012111234567")),       # date-shaped at the start, but a phone number
    ("0151/12345678", phone_mask("015112345678")),
    ("+1 (555) 123-4567", phone_mask("15551234567")),
    ("call 030/1234567.", f"call {phone_mask('0301234567')}."),   # a full stop ends the sentence, not the mask
    ("2026-10-01 0301234567", f"2026-10-01 {phone_mask('0301234567')}"),
    ("2026-10-01 +49 30 1234567", f"2026-10-01 {phone_mask('49301234567')}"),
    ("Tel 0301 234567", f"Tel {phone_mask('0301234567')}"),
])
def test_phone_numbers_are_masked(text, masked):
    assert mask_pii(text) == masked


def test_a_raw_line_with_a_phone_and_a_cut_timestamp():
    line = '{"traits":{"phone":"+49 30 1234567","email":"Anna@Example.com"},"timestamp":"2026-10-01T10:0'
    assert mask_pii(line) == ('{"traits":{"phone":"' + phone_mask("49301234567") + '","email":"<email:'
                              + sha256_hex("anna@example.com")[:8] + '>"},"timestamp":"2026-10-01T10:0')
