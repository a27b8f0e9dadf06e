"""Remove a footprint from the files microseg writes (reports, Data Docs, review queue, exports).

A CSV loses every row with a cell that names the person (the review queue holds both records side by side);
any other text file has each mention replaced by `[erased]`. Binary files are left alone (microseg writes
none with personal data). Folders that do not exist are skipped. Each file is rewritten whole or not at all.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from orchestration.lib.core import write_bytes_atomic
from orchestration.lib.erasure.footprint import Footprint
from orchestration.lib.erasure.purge import text_pattern

REDACTED = "[erased]"


def _redact_csv(text: str, pattern: re.Pattern) -> tuple[str, int]:
    """Drop the records (after the header) with a cell naming the person; every other record keeps its
    text as it was (quoting, `""`, line ends)."""
    lines = list(io.StringIO(text, newline=""))
    reader = csv.reader(lines)
    kept, removed, start = [], 0, 0
    for number, row in enumerate(reader):
        record = "".join(lines[start:reader.line_num])
        start = reader.line_num
        if number and any(pattern.search(cell) for cell in row):
            removed += 1
        else:
            kept.append(record)
    return "".join(kept) + "".join(lines[start:]), removed


def _redact_text(text: str, pattern: re.Pattern) -> tuple[str, int]:
    total = 0
    while True:   # a second pass catches a mention right after another (they share the separator)
        text, n = pattern.subn(lambda m: m.group(1) + REDACTED + m.group(3), text)
        total += n
        if n == 0:
            return text, total


def redact_files(roots: list[Path], fp: Footprint) -> dict[str, int]:
    """Remove the person from every text file under `roots`; returns {file: rows or mentions removed}."""
    source = text_pattern(fp.texts())
    if source is None:
        return {}
    pattern = re.compile(source.removeprefix("(?i)"), re.IGNORECASE)
    changed: dict[str, int] = {}
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            try:
                text = path.read_bytes().decode("utf-8")   # line ends as they are
            except (UnicodeDecodeError, OSError):
                continue
            if not pattern.search(text):
                continue
            new, n = (_redact_csv if path.suffix == ".csv" else _redact_text)(text, pattern)
            if n:
                write_bytes_atomic(path, new.encode("utf-8"))
                changed[str(path)] = n
    return changed
