"""Files written whole or not at all: the new content goes to a temporary file beside the target, which then
replaces it in one rename (os.replace). A reader, or a process killed at any moment, finds the old file or the
new one, never a part of either.

The temporary file is hidden (a leading dot) and ends in TMP_SUFFIX, so a glob of the folder's reports does not
match it; one left by a killed process is garbage (remove it), never a version of the file.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TMP_SUFFIX = ".microseg-tmp"


def temp_path_for(path: Path) -> Path:
    """A fresh temporary name beside `path` (same folder, so the rename never crosses a file system)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}{TMP_SUFFIX}")


def _flush_to_disk(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path for the with-block to write the whole file to (with Python, DuckDB's COPY, pandas...);
    when the block ends, that file, flushed to disk, replaces `path`; when it raises, it is removed and `path` is
    left as it was. The folder must exist; a file replaced keeps its permissions."""
    path = Path(path)
    tmp = temp_path_for(path)
    try:
        yield tmp
        _flush_to_disk(tmp)
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """`path.write_bytes(data)`, whole or not at all."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    """`path.write_text(text)`, whole or not at all."""
    write_bytes_atomic(path, text.encode(encoding))
