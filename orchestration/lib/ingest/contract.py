"""The input data contract (docs/data-contract.md): what files we read and how we split them into lines/records.

Pure Python: finds files in a landing folder, decodes them (gzip, UTF-8), splits CSVs into records
with their line numbers and reports whole-file problems as `InputFileError` naming the file.
Row-level rules (reason codes) are applied in SQL by `lib/ingest/loading.py`.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
from rapidfuzz import fuzz, process

EVENT_FOLDER = "events"
EVENT_SUFFIXES = (".jsonl", ".jsonl.gz")
TABLE_SUFFIXES = (".csv", ".parquet")

# The fields of an event line we expose as columns of raw.events: (column, JSON path). Everything is
# read in ONE parse of the line at ingest; the objects (properties, traits, context) are kept whole as
# JSON text, so unknown properties are never lost. The line itself stays in the landing folder, and
# every row keeps its file and line number.
EVENT_FIELDS: tuple[tuple[str, str], ...] = (
    ("message_id", "$.messageId"),
    ("timestamp_raw", "$.timestamp"),
    ("user_id", "$.userId"),
    ("anonymous_id", "$.anonymousId"),
    ("type", "$.type"),
    ("event", "$.event"),
    ("name", "$.name"),
    ("properties", "$.properties"),
    ("traits", "$.traits"),
    ("context", "$.context"),
    # Segment e-commerce v2 and email event properties (docs/data-contract.md, behavioral events)
    ("product_id", "$.properties.product_id"),
    ("category", "$.properties.category"),
    ("price", "$.properties.price"),
    ("quantity", "$.properties.quantity"),
    ("cart_id", "$.properties.cart_id"),
    ("order_id", "$.properties.order_id"),
    ("total", "$.properties.total"),
    ("value", "$.properties.value"),
    ("currency", "$.properties.currency"),
    ("query", "$.properties.query"),
    ("list_id", "$.properties.list_id"),
    ("video_id", "$.properties.video_id"),
    ("campaign_id", "$.properties.campaign_id"),
    ("email_id", "$.properties.email_id"),
    ("variant", "$.properties.variant"),
    ("url", "$.properties.url"),
    ("trait_email", "$.traits.email"),
    ("page_url", "$.context.page.url"),
    ("user_agent", "$.context.userAgent"),
    ("ip", "$.context.ip"),
    ("utm_source", "$.context.campaign.source"),
    ("utm_medium", "$.context.campaign.medium"),
    ("utm_campaign", "$.context.campaign.name"),
)
EVENT_JSON_COLUMNS = ("properties", "traits", "context")   # whole objects, stored as JSON text

# Reason codes for event lines, in the order they are tested (a line gets the first that applies).
EVENT_REASONS = (
    "bad_encoding",        # the line is not valid UTF-8
    "malformed_json",      # not a JSON object
    "missing_message_id",  # no (or empty) messageId
    "missing_timestamp",   # no timestamp
    "bad_timestamp",       # not an ISO-8601 instant with offset or Z
    "missing_identity",    # neither userId nor anonymousId
    "future_timestamp",    # later than the end of its received day + tolerance (device clock in the future)
)

# Reason codes for CSV / Parquet records.
RECORD_REASONS = (
    "bad_encoding",       # the line is not valid UTF-8
    "broken_quote",       # a quoted field that never closes on its line
    "wrong_field_count",  # more or fewer fields than the header
    "missing_key",        # the key column is empty
    "bad_value",          # a typed column holds a value of the wrong type (detail names the column)
)


class InputFileError(Exception):
    """A whole file cannot be read. `reason` is a short code, str(self) names the file and the problem."""

    def __init__(self, path: Path | str, reason: str, message: str):
        self.path = str(path)
        self.reason = reason
        self.message = message
        super().__init__(f"{path}: {message}")


@dataclass(frozen=True)
class TableSpec:
    """One tabular input of the contract."""

    name: str                      # raw table name, e.g. "contacts"
    folder: str                    # landing sub-folder
    prefix: str                    # file names start with this
    columns: tuple[str, ...]       # contract columns, in order (all required in the header)
    key: tuple[str, ...]           # must be non-empty
    typed: tuple[tuple[str, str], ...] = ()   # (column, kind): kind in timestamp, number, integer, boolean
    allowed: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (column, allowed values) when non-empty
    optional: tuple[str, ...] = ()  # contract columns that may be absent from the header
    hashed: tuple[str, ...] = ()   # stored as <column>_sha256 (of the trimmed, lower-cased text), never as text

    def stored_name(self, column: str) -> str:
        """The raw table's column for contract column `column`."""
        return f"{column}_sha256" if column in self.hashed else column

    def stored_columns(self) -> tuple[str, ...]:
        return tuple(self.stored_name(c) for c in self.columns)


BOOLEAN_VALUES = ("true", "false", "1", "0", "yes", "no", "t", "f", "y", "n")

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "contacts", "crm", "contacts",
            ("contact_id", "email", "first_name", "last_name", "phone", "gender", "birth_date", "city",
             "postal_code", "country", "created_at", "updated_at", "email_opt_in", "source"),
            key=("contact_id",),
            typed=(("created_at", "timestamp"), ("updated_at", "timestamp")),
        ),
        TableSpec(
            "orders", "orders", "orders",
            ("order_id", "contact_id", "email", "ordered_at", "status", "currency", "total"),
            key=("order_id",),
            typed=(("ordered_at", "timestamp"), ("total", "number")),
            allowed=(("status", ("completed", "refunded", "cancelled")),),
        ),
        TableSpec(
            "order_items", "orders", "order_items",
            ("order_id", "product_id", "quantity", "unit_price"),
            key=("order_id", "product_id"),
            typed=(("quantity", "integer"), ("unit_price", "number")),
        ),
        TableSpec(
            "products", "catalog", "products",
            ("product_id", "name", "category", "subcategory", "price", "is_new_arrival", "launched_at",
             "url", "image_url"),
            key=("product_id",),
            typed=(("price", "number"), ("is_new_arrival", "boolean"), ("launched_at", "timestamp")),
        ),
        TableSpec(
            "suppression", "suppression", "",
            ("email", "reason", "at"),
            key=("email",),
            typed=(("at", "timestamp"),),
            allowed=(("reason", ("unsubscribed", "bounced", "complained", "erasure")),),
            # the suppression list outlives the people on it (an erasure request above all): only the hash
            hashed=("email",),
        ),
    )
}


# ---------------------------------------------------------------- discovery

def _is_table_file(path: Path, spec: TableSpec) -> bool:
    name = path.name
    if not path.is_file() or not name.startswith(spec.prefix) or not name.endswith(TABLE_SUFFIXES):
        return False
    # "orders*.csv" must not pick up "order_items.csv" (different prefix) nor vice versa
    other = [s.prefix for s in TABLES.values() if s.folder == spec.folder and s.prefix != spec.prefix]
    return not any(o.startswith(spec.prefix) and name.startswith(o) for o in other)


def table_files(landing: Path, spec: TableSpec) -> list[Path]:
    folder = landing / spec.folder
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _is_table_file(p, spec))


DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def event_days(landing: Path) -> dict[str, list[Path]]:
    """Received-day folders under events/ mapped to their .jsonl / .jsonl.gz files (sorted)."""
    root = landing / EVENT_FOLDER
    if not root.is_dir():
        return {}
    days: dict[str, list[Path]] = {}
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and is_day(folder.name):
            days[folder.name] = sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(EVENT_SUFFIXES))
    return days


def is_day(name: str) -> bool:
    if not DAY_RE.match(name):
        return False
    try:
        date.fromisoformat(name)
    except ValueError:
        return False
    return True


def stray_event_entries(landing: Path) -> list[str]:
    """Things under events/ that the contract does not describe (reported, never loaded)."""
    root = landing / EVENT_FOLDER
    if not root.is_dir():
        return []
    stray = []
    for entry in sorted(root.iterdir()):
        if not (entry.is_dir() and is_day(entry.name)):
            stray.append(f"{entry}: not a received-day folder named YYYY-MM-DD")
        else:
            stray += [f"{p}: not a .jsonl or .jsonl.gz file" for p in sorted(entry.iterdir())
                      if not p.name.endswith(EVENT_SUFFIXES)]
    return stray


def fingerprint(paths: list[Path]) -> str:
    """Cheap identity of a set of files (names, sizes, mtimes): changes when a file is added or rewritten."""
    parts = []
    for p in paths:
        st = p.stat()
        parts.append(f"{p.name}:{st.st_size}:{int(st.st_mtime)}")
    return format(zlib.crc32("|".join(parts).encode()), "08x")


# ---------------------------------------------------------------- decoding

@dataclass
class Lines:
    """The lines of one text file. `bad_encoding[i]` is True where line i was not valid UTF-8."""

    texts: list[str]
    bad_encoding: list[bool] | None = None   # None: every line decoded


def read_bytes(path: Path) -> bytes:
    """File content, gunzipped for .gz. Raises InputFileError for 0-byte files and broken gzip."""
    size = path.stat().st_size
    if size == 0:
        raise InputFileError(path, "empty_file", "file is empty (0 bytes)")
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except EOFError as exc:
            raise InputFileError(path, "truncated_gzip",
                                 f"gzip stream is truncated ({size} bytes on disk): {exc}; re-export the file") from exc
        except (OSError, zlib.error) as exc:
            raise InputFileError(path, "bad_gzip", f"not a valid gzip file: {exc}") from exc
    return data


def split_lines(path: Path, data: bytes) -> Lines:
    """Split into lines (\\n or \\r\\n). A final newline does not make an extra empty line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _split_lines_salvaging(path, data, exc)
    texts = text.split("\n")
    if texts and texts[-1] == "":
        texts.pop()
    if "\r" in text:
        texts = [t[:-1] if t.endswith("\r") else t for t in texts]
    return Lines(texts)


def split_lines_fast(data: bytes) -> pa.Array | None:
    """The lines as an Arrow string array, split by Arrow's C++ reader; None when the file needs
    `split_lines` (invalid UTF-8, carriage returns, or a 0x1F byte, which would confuse the reader)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if b"\r" in data or b"\x1f" in data:
        return None
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(column_names=["line"], block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(delimiter="\x1f", quote_char=False, escape_char=False,
                                              newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types={"line": pa.string()}, strings_can_be_null=False,
                                                  quoted_strings_can_be_null=False))
    except pa.ArrowInvalid:
        return None
    return table.column("line").combine_chunks()


def _split_lines_salvaging(path: Path, data: bytes, first_error: UnicodeDecodeError) -> Lines:
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    texts, bad = [], []
    for raw in raw_lines:
        raw = raw.rstrip(b"\r")
        try:
            texts.append(raw.decode("utf-8"))
            bad.append(False)
        except UnicodeDecodeError:
            texts.append(raw.decode("utf-8", "backslashreplace"))
            bad.append(True)
    if sum(bad) == len(bad):
        raise InputFileError(path, "bad_encoding",
                             f"not UTF-8 (first bad byte at offset {first_error.start}: "
                             f"{data[first_error.start:first_error.start + 1]!r}); re-export it as UTF-8")
    return Lines(texts, bad)


# ---------------------------------------------------------------- CSV records

@dataclass
class Records:
    """Records of one tabular file, as strings, with the line each starts on."""

    columns: list[str]                 # contract columns present in the header, in contract order
    extra_columns: list[str]           # header columns the contract does not name (kept as JSON)
    line_nos: list[int] = field(default_factory=list)
    values: list[list[str | None]] = field(default_factory=list)   # per record: contract columns then extras
    rejected: list[tuple[int, str, str, str]] = field(default_factory=list)  # (line, reason, detail, raw text)
    blank_lines: int = 0


def check_header(path: Path, spec: TableSpec, header: list[str]) -> tuple[list[str], list[str]]:
    """Returns (contract columns present, extra columns). Raises InputFileError on a missing column."""
    cleaned = [h.strip() for h in header]
    lowered = [h.lower() for h in cleaned]
    dupes = sorted({h for h in lowered if lowered.count(h) > 1})
    if dupes:
        raise InputFileError(path, "duplicate_column", f"header names column(s) {dupes} more than once")
    missing = [c for c in spec.columns if c not in lowered and c not in spec.optional]
    extras = [c for c in cleaned if c.lower() not in spec.columns]
    if missing:
        hints = []
        for col in missing:
            match = process.extractOne(col, extras, scorer=fuzz.WRatio, score_cutoff=70) if extras else None
            hints.append(f"'{col}'" + (f" (found '{match[0]}': renamed?)" if match else ""))
        raise InputFileError(path, "missing_column",
                             f"missing required column {', '.join(hints)}; header has {cleaned}")
    return [c for c in spec.columns if c in lowered], extras


def parse_csv(path: Path, spec: TableSpec) -> Records:
    """Parse one CSV into records. Bad rows are kept in `rejected` with their reason, never dropped."""
    lines = split_lines(path, read_bytes(path))
    if not lines.texts:
        raise InputFileError(path, "empty_file", "file has no header line")
    if lines.bad_encoding and lines.bad_encoding[0]:
        raise InputFileError(path, "bad_encoding", "the header line is not UTF-8; re-export the file as UTF-8")
    header = next(csv.reader([lines.texts[0]]))
    present, extras = check_header(path, spec, header)
    lowered = [h.strip().lower() for h in header]
    order = [lowered.index(c) for c in present] + [[h.strip() for h in header].index(e) for e in extras]
    width = len(header)
    out = Records(columns=present, extra_columns=extras)
    texts, bad = lines.texts, lines.bad_encoding
    i = 1   # 0-based index of the next unread line
    while i < len(texts):
        # one csv.reader pass from line i; restarted after a broken quote so it cannot swallow the file
        reader = csv.reader(_LineFeeder(texts, i))
        base, consumed = i, 0
        restart = False
        try:
            for row in reader:
                first, consumed = base + consumed, reader.line_num
                nxt = base + consumed
                if bad and any(bad[first:nxt]):
                    out.rejected.append((first + 1, "bad_encoding", "line is not valid UTF-8",
                                         "\n".join(texts[first:nxt])))
                elif not row:
                    out.blank_lines += 1
                elif len(row) != width and nxt - first > 1:
                    out.rejected.append((first + 1, "broken_quote", "a quoted field is not closed on its line",
                                         texts[first]))
                    i, restart = first + 1, True
                    break
                elif len(row) != width:
                    out.rejected.append((first + 1, "wrong_field_count", f"{len(row)} fields, header has {width}",
                                         texts[first]))
                else:
                    out.line_nos.append(first + 1)
                    out.values.append([row[k] for k in order])
                i = nxt
        except csv.Error as exc:
            first = base + consumed
            out.rejected.append((first + 1, "broken_quote", f"unreadable CSV: {exc}", texts[first]))
            i, restart = first + 1, True
        if not restart:
            break
    return out


class _LineFeeder:
    """Feeds lines[start:] to csv.reader without copying the list."""

    def __init__(self, texts: list[str], start: int):
        self._texts = texts
        self._pos = start

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self._pos >= len(self._texts):
            raise StopIteration
        self._pos += 1
        return self._texts[self._pos - 1] + "\n"
