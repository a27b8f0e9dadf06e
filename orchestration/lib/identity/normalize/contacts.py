"""``normalize_contacts``: every field normaliser applied to a ``staging.stg_crm__contacts`` frame,
and the validation report (one row per rejected value).

Speed: every normaliser runs once per distinct value (names, genders, countries and cities repeat
a lot). More than ``PHONE_POOL_MIN`` distinct phones are normalised in worker processes
while this process does the rest.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable
from datetime import date
from functools import partial
from itertools import chain
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from orchestration.lib.core import sha256_hex, worker_context, workers_available
from orchestration.lib.identity.normalize.birth_date import normalize_birth_date
from orchestration.lib.identity.normalize.country import normalize_country, normalize_postal_code
from orchestration.lib.identity.normalize.email import normalize_email
from orchestration.lib.identity.normalize.gender import normalize_gender
from orchestration.lib.identity.normalize.names import clean_name, fold_name
from orchestration.lib.identity.normalize.phone import normalize_phone

REJECTION_REASONS = (
    "malformed_email", "disposable_email", "role_email", "unparsable_phone", "invalid_phone",
    "placeholder_phone", "unrecognized_gender", "unknown_country", "unparsable_date", "impossible_date",
)
INPUT_COLUMNS = (
    "contact_id", "email", "first_name", "last_name", "phone_raw", "gender_raw", "birth_date_raw",
    "city", "postal_code", "country_raw", "email_opt_in", "signup_source", "created_at", "updated_at",
    "source_file", "line_no",
)
NORMALIZED_COLUMNS = (
    "contact_id", "email", "email_status", "email_domain", "email_hash", "first_name", "last_name",
    "first_name_folded", "last_name_folded", "phone_e164", "phone_status", "phone_hash", "gender",
    "birth_date", "birth_year", "city", "city_folded", "postal_code", "country", "email_opt_in",
    "signup_source", "created_at", "updated_at", "source_file", "line_no",
)
REJECTION_COLUMNS = ("contact_id", "source_file", "line_no", "field", "raw_value", "reason")
PASSTHROUGH_COLUMNS = ("contact_id", "email_opt_in", "signup_source", "created_at", "updated_at",
                       "source_file", "line_no")

PHONE_POOL_MIN = 50_000  # distinct phone values above which phones go to worker processes
PHONE_POOL_WORKERS = 2
PHONE_CHUNK = 10_000  # phones per worker task

_EMAIL_REASONS = {"malformed": "malformed_email", "disposable": "disposable_email", "role": "role_email"}
_PHONE_REASONS = {"unparsable": "unparsable_phone", "invalid": "invalid_phone", "placeholder": "placeholder_phone"}
_HASHED_EMAIL = frozenset({"valid", "role", "disposable"})


def _email_row(raw) -> tuple:
    """(email, status, domain, hash, rejection reason)"""
    email, status, domain = normalize_email(raw)
    return email, status, domain, sha256_hex(email) if status in _HASHED_EMAIL else None, _EMAIL_REASONS.get(status)


def _phone_rows(pairs: list[tuple]) -> list[tuple]:
    """(e164, status, hash, rejection reason) of each (raw phone, alpha-2 country) pair."""
    rows = []
    for raw, country in pairs:
        e164, status = normalize_phone(raw, country)
        rows.append((e164, status, sha256_hex(e164) if e164 else None, _PHONE_REASONS.get(status)))
    return rows


def _name_row(raw) -> tuple:
    return clean_name(raw), fold_name(raw)


def _birth_row(raw, as_of: date) -> tuple:
    day, reason = normalize_birth_date(raw, as_of)
    return day, day.year if day else None, reason


class DistinctValues:
    """The distinct values of a column, a code per row pointing at its value, one result tuple per
    value: every normaliser runs once per distinct value, not once per row."""

    def __init__(self, codes: np.ndarray, values: list):
        self.codes, self.values, self.results = codes, values, []

    @classmethod
    def of(cls, column: pd.Series, func: Callable) -> DistinctValues:
        """Missing values (None, NaN, NA) are one more value, passed to ``func`` as None."""
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        distinct = cls(np.where(codes < 0, len(uniques), codes), [*uniques, None])
        distinct.results = [func(v) for v in distinct.values]
        return distinct

    @classmethod
    def of_pairs(cls, column: pd.Series, other: DistinctValues, field: int) -> DistinctValues:
        """Distinct (value, ``other``'s result ``field``) pairs, e.g. (raw phone, alpha-2 country)."""
        value_codes, value_uniques = pd.factorize(column, use_na_sentinel=True)
        other_codes, other_uniques = pd.factorize(np.array([r[field] for r in other.results], dtype=object))
        width = len(other_uniques) + 1
        codes, keys = pd.factorize((value_codes.astype(np.int64) + 1) * width + (other_codes[other.codes] + 1))
        values = np.array([None, *value_uniques], dtype=object)[keys // width]
        other_values = np.array([None, *other_uniques], dtype=object)[keys % width]
        return cls(codes, list(zip(values.tolist(), other_values.tolist())))

    def series(self, field: int, dtype: str = "str") -> pd.Series:
        values = [r[field] for r in self.results]
        if dtype == "Int64":
            return pd.Series(pd.array(values, dtype="Int64").take(self.codes))
        taken = pa.array(values, type=pa.date32() if dtype == "date" else pa.string()).take(pa.array(self.codes))
        return pd.Series(pd.arrays.ArrowExtensionArray(taken) if dtype == "date" else pd.array(taken, dtype="str"))

    def rows_with(self, field: int) -> np.ndarray:
        """Rows whose result ``field`` is not None."""
        hit = np.array([r[field] is not None for r in self.results], dtype=bool)
        return np.flatnonzero(hit[self.codes]) if len(self.codes) else np.array([], dtype=np.int64)

    def at(self, field: int, rows: np.ndarray) -> np.ndarray:
        return np.array([r[field] for r in self.results], dtype=object)[self.codes[rows]]


class WorkerJob:
    """``func(items)`` in worker processes, started now, when there are more than ``PHONE_POOL_MIN``
    items (chunks of ``PHONE_CHUNK`` travel to the workers, results come back); else run in this
    process by ``result()``. Workers start from the forkserver (``lib/core/processes.py``: a fork of a
    process with threads can hang). Should the workers not answer within ``timeout_s`` (by default a
    second per 500 items, at least a minute: 15x their normal time), the items run in this process."""

    def __init__(self, func: Callable[[list], list], items: list, timeout_s: float | None = None):
        self.func, self.items, self.pool, self.pending = func, items, None, None
        self.timeout_s = timeout_s if timeout_s is not None else max(60.0, len(items) / 500)
        if len(items) > PHONE_POOL_MIN and workers_available():
            self.pool = worker_context().Pool(PHONE_POOL_WORKERS)
            chunks = [items[i:i + PHONE_CHUNK] for i in range(0, len(items), PHONE_CHUNK)]
            self.pending = self.pool.map_async(func, chunks, chunksize=1)

    def result(self) -> list:
        if self.pool is None:
            return self.func(self.items)
        try:
            return list(chain.from_iterable(self.pending.get(timeout=self.timeout_s)))
        except mp.TimeoutError:
            return self.func(self.items)
        finally:
            self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


class RejectionCheck(NamedTuple):
    """One field of the validation report: where its raw value is and which result holds the reason."""
    field: str
    raw_column: str
    values: DistinctValues
    reason_index: int


def _rejections(frame: pd.DataFrame, checks: list[RejectionCheck]) -> pd.DataFrame:
    """One row per rejected value, in row then field (``checks``) order."""
    rows, fields, raw, reasons = [], [], [], []
    for order, check in enumerate(checks):
        hit = check.values.rows_with(check.reason_index)
        rows.append(hit)
        fields.append(np.full(len(hit), order))
        raw.append(frame[check.raw_column].take(hit).to_numpy(dtype=object, na_value=None))
        reasons.append(check.values.at(check.reason_index, hit))
    row, field_no = np.concatenate(rows), np.concatenate(fields)
    order = np.lexsort((field_no, row))
    row = row[order]
    names = np.array([c.field for c in checks], dtype=object)
    return pd.DataFrame({
        "contact_id": frame["contact_id"].take(row).reset_index(drop=True),
        "source_file": frame["source_file"].take(row).reset_index(drop=True),
        "line_no": frame["line_no"].take(row).reset_index(drop=True),
        "field": pd.Series(names[field_no[order]], dtype="str"),
        "raw_value": pd.Series(np.concatenate(raw)[order], dtype="str"),
        "reason": pd.Series(np.concatenate(reasons)[order], dtype="str"),
    }, columns=list(REJECTION_COLUMNS))


def normalize_contacts(df: pd.DataFrame, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(normalized, rejections) for a ``staging.stg_crm__contacts`` frame.

    ``normalized`` has one row per input row in the same order (index reset) and the columns
    ``NORMALIZED_COLUMNS``: strings as pandas ``str``, ``birth_date`` as Arrow ``date32`` (DuckDB
    DATE), ``birth_year`` as ``Int64``; the pass-through columns keep their dtypes. ``rejections``
    has one row per rejected non-empty value (``REJECTION_COLUMNS``), in row then field order.
    """
    missing = [c for c in INPUT_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"normalize_contacts: missing columns {missing}")
    frame = df.reset_index(drop=True)
    country = DistinctValues.of(frame["country_raw"], normalize_country)
    phone = DistinctValues.of_pairs(frame["phone_raw"], country, 0)
    job = WorkerJob(_phone_rows, phone.values)  # workers run the phones while this process does the rest
    try:
        email = DistinctValues.of(frame["email"], _email_row)
        first = DistinctValues.of(frame["first_name"], _name_row)
        last = DistinctValues.of(frame["last_name"], _name_row)
        city = DistinctValues.of(frame["city"], _name_row)
        gender = DistinctValues.of(frame["gender_raw"], normalize_gender)
        birth = DistinctValues.of(frame["birth_date_raw"], partial(_birth_row, as_of=as_of))
        postal = DistinctValues.of_pairs(frame["postal_code"], country, 0)
        postal.results = [(normalize_postal_code(raw, c),) for raw, c in postal.values]
        phone.results = job.result()
    finally:
        job.close()
    columns = {
        "email": email.series(0), "email_status": email.series(1), "email_domain": email.series(2),
        "email_hash": email.series(3), "first_name": first.series(0), "last_name": last.series(0),
        "first_name_folded": first.series(1), "last_name_folded": last.series(1),
        "phone_e164": phone.series(0), "phone_status": phone.series(1), "phone_hash": phone.series(2),
        "gender": gender.series(0), "birth_date": birth.series(0, "date"), "birth_year": birth.series(1, "Int64"),
        "city": city.series(0), "city_folded": city.series(1), "postal_code": postal.series(0),
        "country": country.series(0),
    }
    columns.update({c: frame[c] for c in PASSTHROUGH_COLUMNS})
    normalized = pd.DataFrame(columns, columns=list(NORMALIZED_COLUMNS))
    rejections = _rejections(frame, [
        RejectionCheck("email", "email", email, 4), RejectionCheck("phone", "phone_raw", phone, 3),
        RejectionCheck("gender", "gender_raw", gender, 1), RejectionCheck("country", "country_raw", country, 1),
        RejectionCheck("birth_date", "birth_date_raw", birth, 2),
    ])
    return normalized, rejections


def rejections_by_reason(rejections: pd.DataFrame) -> pd.DataFrame:
    """The validation report counted: field, reason, values (how many values were rejected so)."""
    if not len(rejections):
        return pd.DataFrame(columns=["field", "reason", "values"])
    return rejections.groupby(["field", "reason"]).size().reset_index(name="values")
