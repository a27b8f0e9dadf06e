"""YAML values in the language's types (`convert_value`) and as error messages show them."""

from __future__ import annotations

from datetime import date, datetime

from orchestration.lib.core import to_utc


def describe_value(value) -> str:
    """A YAML value as an error message shows it: `nothing (null)`, `true`, `2024-06-01`, `'cheap'`."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return repr(value)


def with_article(type_: str) -> str:
    """`a number`, `an integer`."""
    return f"an {type_}" if type_[0] in "aeiou" else f"a {type_}"


def type_of_value(value) -> str | None:
    """The language type a YAML value has (None for a list, mapping or null)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, datetime):
        return "timestamp"
    if isinstance(value, date):
        return "date"
    if isinstance(value, str):
        return "string"
    return None


def convert_value(value, type_: str):
    """A YAML value as `type_` (TYPES): numbers as float, dates as date, timestamps as naive UTC
    datetime; ValueError says what was wrong (`got 'cheap'`), the caller says who expected what."""
    if value is None:
        raise ValueError("got nothing (null); use is_null: true to test for a missing value")
    if type_ == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            raise ValueError(f"got {describe_value(value)} (YAML reads unquoted yes/no/on/off/true/false as "
                             "booleans: quote the text)")
        if isinstance(value, (int, float, date)):
            raise ValueError(f"got {describe_value(value)} (quote it to compare as text: '{value}')")
        raise ValueError(f"got {describe_value(value)}")
    if type_ in ("number", "integer"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ValueError(f"got {describe_value(value)}")
    if type_ == "boolean":
        if isinstance(value, bool):
            return value
        raise ValueError(f"got {describe_value(value)}")
    if type_ == "date":
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise ValueError(f"got {describe_value(value)} (expected YYYY-MM-DD)")
    if type_ == "timestamp":
        if isinstance(value, (date, str)):
            try:
                return to_utc(value)
            except ValueError:
                pass
        raise ValueError(f"got {describe_value(value)} (expected an ISO-8601 timestamp such as "
                         "2024-06-01T12:00:00Z)")
    raise ValueError(f"unknown type {type_!r}")
