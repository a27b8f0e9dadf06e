"""Which received days are loaded together: one SQL statement parses a batch of days, whose lines are all in memory
at once (as Arrow text) while it runs. A batch holds up to BATCH_DAYS days and at most `max_bytes` of event text,
so the memory of a load is bounded by the setting `ingest_batch_mb`, not by the size of the input; a single day
larger than that is a batch of its own.

A file's text size is its size on disk, or for gzip its uncompressed size as the file's trailer records it (the
ISIZE field: exact below 4 GiB, which an export file does not reach; a file of several gzip members counts
its last one's only).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from pathlib import Path

BATCH_DAYS = 8   # days parsed per SQL statement at most: enough rows to keep both cores busy


def text_bytes(path: Path) -> int:
    """The size of the text a file holds: its size, or a gzip file's uncompressed size (0 when unreadable)."""
    try:
        size = path.stat().st_size
        if not path.name.endswith(".gz") or size < 18:
            return size
        with open(path, "rb") as handle:
            if handle.read(2) != b"\x1f\x8b":
                return size
            handle.seek(-4, 2)
            return struct.unpack("<I", handle.read(4))[0]
    except OSError:
        return 0


def batches(days: list[str], files: Mapping[str, list[Path]] | None = None, max_bytes: int | None = None,
            max_days: int = BATCH_DAYS) -> list[list[str]]:
    """`days` in order, cut into batches of at most `max_days` days and (given each day's `files`) at most
    `max_bytes` of event text; a day is never split."""
    out: list[list[str]] = []
    current: list[str] = []
    held = 0
    for day in days:
        size = sum(text_bytes(p) for p in files.get(day, [])) if files is not None and max_bytes else 0
        if current and (len(current) == max_days or (max_bytes and held + size > max_bytes)):
            out.append(current)
            current, held = [], 0
        current.append(day)
        held += size
    if current:
        out.append(current)
    return out
