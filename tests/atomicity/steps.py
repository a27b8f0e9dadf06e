"""The steps of the tests of killed runs, one per failpoint: each builds a committed before-state in a folder
(warehouse.duckdb and the files beside it), then changes its inputs so that the step has something to write.

`python -m tests.atomicity.steps <failpoint> <folder>` runs the step on the folder's warehouse, as the pipeline
does (lib-level, a real DuckDB file): the tests start it with MICROSEG_FAILPOINT set, and it dies by SIGKILL.
`state(folder)` is what a killed step must leave as it was: every table's rows and every file's text.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd

from tests.helpers.landing import Landing, contact_row, event

WAREHOUSE = "warehouse.duckdb"
DAYS = [f"2026-10-{d:02d}" for d in range(1, 11)]     # 10 received days: two batches of the events load
FIXED_NS = 1_790_000_000_000_000_000                  # landing files' mtime, the same in every folder
AS_OF = "2026-10-02T00:00:00Z"
OCT1, OCT2 = datetime(2026, 10, 1), datetime(2026, 10, 2)


def connect(folder: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(folder / WAREHOUSE))


def _touch_landing(folder: Path) -> None:
    for path in (folder / "landing").rglob("*"):
        if path.is_file():
            os.utime(path, ns=(FIXED_NS, FIXED_NS))


# ---------------------------------------------------------------- ingest.events

def _events_landing(folder: Path, version: int) -> None:
    landing = Landing(folder / "landing")
    for k, day in enumerate(DAYS):
        lines = [event(f"m-{day}-{n}", timestamp=f"{day}T10:00:0{n}Z", anonymous_id=f"a-{k}")
                 for n in range(version + 1)]
        landing.events(day, lines + ['{"broken": '] * version)          # version 1 quarantines a line a day
    _touch_landing(folder)


def _events_run(folder: Path) -> None:
    from orchestration.lib.ingest import load_received_days

    with connect(folder) as con:
        load_received_days(con, folder / "landing", DAYS, 24.0)


def _events_prepare(folder: Path) -> None:
    _events_landing(folder, 0)
    _events_run(folder)
    _events_landing(folder, 1)


# ---------------------------------------------------------------- ingest.tables

def _contacts_landing(folder: Path, version: int) -> None:
    rows = [contact_row("C1", "anna@example.com"), contact_row("C2", "bert@example.com")]
    if version:
        rows = [contact_row("C1", "anna.new@example.com"), contact_row("C3", "cora@example.com"),
                contact_row("", "nokey@example.com")]                   # missing_key: quarantined
    Landing(folder / "landing").contacts(rows)
    _touch_landing(folder)


def _tables_run(folder: Path) -> None:
    from orchestration.lib.ingest import TABLES, load_table

    with connect(folder) as con:
        load_table(con, folder / "landing", TABLES["contacts"])


def _tables_prepare(folder: Path) -> None:
    _contacts_landing(folder, 0)
    _tables_run(folder)
    _contacts_landing(folder, 1)


# ---------------------------------------------------------------- identity.map

CONTACTS = [("C1", "anna@example.com", "Anna", "Muster"), ("C2", "anna@example.com", "Anna", "Muster"),
            ("C3", "cora@example.com", "Cora", "Klein"), ("C4", "c.klein@example.com", "Cora", "Klein")]


def _match_pairs(con: duckdb.DuckDBPyConnection, pairs: list[tuple[str, str, float]]) -> None:
    con.execute("create or replace table identity.match_pairs (left_id varchar, right_id varchar, "
                "probability double, match_weight double, rule varchar, email_level integer, "
                "email_similarity double)")
    con.executemany("insert into identity.match_pairs values (?, ?, ?, ?, 'fuzzy', 1, 0.8)",
                    [(a, b, p, 10 * p) for a, b, p in pairs])


def _identity_run(folder: Path) -> None:
    from orchestration.lib.identity import contacts_config, resolve_identities

    with connect(folder) as con:
        resolve_identities(con, contacts_config(), folder / "review", "run-2", AS_OF)


def _identity_prepare(folder: Path) -> None:
    from orchestration.lib.identity import contacts_config, resolve_identities
    from tests.helpers.fixture_tables import create_fixture_tables

    with connect(folder) as con:
        create_fixture_tables(con, ["identity.contacts_normalized", "staging.stg_tracking__events"])
        con.executemany("insert into identity.contacts_normalized (contact_id, email, email_status, first_name, "
                        "last_name, source_file, line_no) values (?, ?, 'valid', ?, ?, 'crm/contacts.csv', 2)",
                        CONTACTS)
        con.execute("insert into staging.stg_tracking__events (message_id, user_id, anonymous_id, occurred_at) "
                    "values ('m-1', 'C1', 'a-1', timestamp '2026-10-01 10:00:00')")
        _match_pairs(con, [("C1", "C2", 0.99), ("C3", "C4", 0.7)])
        resolve_identities(con, contacts_config(), folder / "review", "run-1", "2026-10-01T00:00:00Z")
        # the next run has new evidence, and a reviewer's decision in queue.csv
        _match_pairs(con, [("C1", "C2", 0.99), ("C1", "C3", 0.75), ("C3", "C4", 0.7)])
    queue = folder / "review" / "queue.csv"
    decided = pd.read_csv(queue, dtype=str, keep_default_na=False)
    decided.loc[(decided.left_id == "C3") & (decided.right_id == "C4"), "decision"] = "merge"
    decided.to_csv(queue, index=False)


# ---------------------------------------------------------------- segments.history

def _segments_run(folder: Path) -> None:
    from orchestration.lib.segments import record

    with connect(folder) as con:
        record(con, "vip", ["bob", "cid"], OCT2, "run-2", "v1")


def _segments_prepare(folder: Path) -> None:
    from orchestration.lib.segments import record

    with connect(folder) as con:
        record(con, "vip", ["ann", "bob"], OCT1, "run-1", "v1")


# ---------------------------------------------------------------- erasure.purge

def _erasure_run(folder: Path) -> None:
    from orchestration.lib.erasure import apply_erasures

    with connect(folder) as con:
        apply_erasures(con, datetime(2026, 10, 2, 8, 30), "run-1", [folder / "review"])


def _erasure_prepare(folder: Path) -> None:
    from orchestration.lib.erasure import ErasureRequest, add_requests
    from tests.erasure.builders import ANNA_EMAIL, BOB_EMAIL, build_warehouse

    with connect(folder) as con:
        build_warehouse(con)
        add_requests(con, [ErasureRequest.from_address(ANNA_EMAIL, None, "test")], datetime(2026, 10, 2))
    (folder / "review").mkdir()
    (folder / "review" / "queue.csv").write_text(
        f"left_id,right_id,left_email\nC100,C101,{ANNA_EMAIL}\nC1000,C7,{BOB_EMAIL}\n", encoding="utf-8")


@dataclass(frozen=True)
class Step:
    prepare: Callable[[Path], None]     # the committed before-state, and the inputs of the step's next run
    run: Callable[[Path], None]


STEPS = {
    "ingest.events": Step(_events_prepare, _events_run),
    "ingest.tables": Step(_tables_prepare, _tables_run),
    "identity.map": Step(_identity_prepare, _identity_run),
    "segments.history": Step(_segments_prepare, _segments_run),
    "erasure.purge": Step(_erasure_prepare, _erasure_run),
}


def state(folder: Path) -> dict[str, list[str]]:
    """Every table of the folder's warehouse (`schema.table` -> its rows as text, sorted) and every other file
    of the folder (its path -> its text), the folder's own path written `<folder>`."""
    out: dict[str, list[str]] = {}
    with duckdb.connect(str(folder / WAREHOUSE), read_only=True) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables() where not temporary "
                             "and database_name = current_database() order by all").fetchall()
        for schema, table in tables:
            rows = con.execute(f'select t::varchar from "{schema}"."{table}" t').fetchall()
            out[f"{schema}.{table}"] = sorted(r[0].replace(str(folder), "<folder>") for r in rows)
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith(WAREHOUSE):
            out[path.relative_to(folder).as_posix()] = [path.read_text(encoding="utf-8")]
    return out


if __name__ == "__main__":
    STEPS[sys.argv[1]].run(Path(sys.argv[2]))
