"""Which event files the warehouse already holds: `raw.event_files`, one row per loaded file with its size,
modification time and checksum, written in the same transaction as the file's lines.

A run (or the landing sensor) loads exactly the received days whose files are new or changed, whatever the
order in which the days were discovered: a late older folder, a day between two known days, a file added to
or rewritten in a loaded day. A file whose size and modification time are unchanged is taken as unchanged;
otherwise its checksum decides (a copied or touched file with the same bytes is not loaded again).

Each load has an id (`raw.event_loads`), written on every row it loads (`raw.events.load_id`): how the incremental
staging model finds the rows loaded since it last ran, and the files reloaded or removed since.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

EVENT_FILES_DDL = """
create table if not exists raw.event_files (
    received_date date, source_file varchar, size_bytes bigint, modified_ns bigint, crc32 varchar
)
"""
# one row per load of received days: its id (increasing, never reused) is every row's raw.events.load_id
EVENT_LOADS_DDL = "create table if not exists raw.event_loads (load_id bigint, received_days integer)"
CHUNK = 1 << 20


@dataclass(frozen=True)
class FileState:
    source_file: str      # relative to the landing folder, as raw.events.source_file
    size_bytes: int
    modified_ns: int
    crc32: str | None = None


def checksum(path: Path) -> str:
    """CRC-32 of the file's bytes, as 8 hex digits (fast; a change detector, not a security hash)."""
    value = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            value = zlib.crc32(chunk, value)
    return format(value, "08x")


def file_state(landing: Path, path: Path, with_checksum: bool = False) -> FileState:
    st = path.stat()
    return FileState(path.relative_to(landing).as_posix(), st.st_size, st.st_mtime_ns,
                     checksum(path) if with_checksum else None)


def record_loaded_files(con: duckdb.DuckDBPyConnection, landing: Path, days: Mapping[str, list[Path]]) -> None:
    """Replace the manifest rows of `days` by their files as loaded now (inside the caller's transaction)."""
    con.execute(EVENT_FILES_DDL)
    con.execute("delete from raw.event_files where received_date in (select cast(unnest($days) as date))",
                {"days": list(days)})
    rows = [[day, s.source_file, s.size_bytes, s.modified_ns, s.crc32]
            for day, files in days.items() for s in (file_state(landing, f, with_checksum=True) for f in files)]
    if rows:
        con.executemany("insert into raw.event_files values (cast(? as date), ?, ?, ?, ?)", rows)


def loaded_files(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, FileState]]:
    """The manifest: received day -> source_file -> its state when loaded ({} on a new warehouse)."""
    exists = con.execute("select count(*) from information_schema.tables "
                         "where table_schema = 'raw' and table_name = 'event_files'").fetchall()[0][0]
    if not exists:
        return {}
    out: dict[str, dict[str, FileState]] = {}
    for day, name, size, modified, crc in con.execute(
            "select strftime(received_date, '%Y-%m-%d'), source_file, size_bytes, modified_ns, crc32 "
            "from raw.event_files").fetchall():
        out.setdefault(day, {})[name] = FileState(name, size, modified, crc)
    return out


def days_to_load(landing: Path, present: Mapping[str, list[Path]],
                 loaded: Mapping[str, Mapping[str, FileState]]) -> list[str]:
    """The received days of `present` (day -> files in the landing folder) that are not loaded as they are now:
    a new day, a new or removed file, or a file whose bytes changed. Sorted."""
    todo = []
    for day, files in present.items():
        known = loaded.get(day)
        if known is None or {f.relative_to(landing).as_posix() for f in files} != set(known):
            todo.append(day)
            continue
        for path in files:
            now, then = file_state(landing, path), known[path.relative_to(landing).as_posix()]
            if (now.size_bytes, now.modified_ns) == (then.size_bytes, then.modified_ns):
                continue
            if now.size_bytes != then.size_bytes or checksum(path) != then.crc32:
                todo.append(day)
                break
    return sorted(todo)


def partition_runs(order: list[str], days: list[str]) -> list[list[str]]:
    """`days` grouped into runs of neighbours in `order` (the instance's dynamic partitions, in the order they
    were added): a partition-range run covers exactly its days, even when a day older than the known ones
    was added last. Every day must be in `order`."""
    position = {day: i for i, day in enumerate(order)}
    missing = sorted(set(days) - set(position))
    if missing:
        raise ValueError(f"received days {missing} are not partitions yet")
    runs: list[list[str]] = []
    for day in sorted(days, key=position.__getitem__):
        if runs and position[runs[-1][-1]] == position[day] - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def next_load_id(con: duckdb.DuckDBPyConnection, received_days: int) -> int:
    """A new load's id, recorded in raw.event_loads (inside the caller's transaction): larger than every earlier
    one, even of loads whose rows were replaced or removed since."""
    load_id = con.execute("select coalesce(max(load_id), 0) + 1 from raw.event_loads").fetchone()[0]
    con.execute("insert into raw.event_loads values (?, ?)", [load_id, received_days])
    return load_id
