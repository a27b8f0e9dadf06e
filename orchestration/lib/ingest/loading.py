"""Loading the landing folder into the DuckDB warehouse, with quarantine and exact reconciliation.

- raw.events: one row per valid event line, partitioned by received day (delete + insert per day,
  so a re-run replaces its own day and touches no other). Redeliveries stay in raw (it is immutable
  and replayable); staging keeps the first occurrence of each messageId. Each row carries the `load_id` of the
  load that wrote it (lib/ingest/manifest.py).
- raw.<table> for contacts, orders, order_items, products, suppression: every valid record of every
  file, rebuilt whole on each load (the landing folder is the truth), with file + line lineage and
  any extra columns as JSON in `extra`.
- quarantine.events / quarantine.records: bad lines with file, line, reason and the raw text.
- quarantine.files: whole files we could not read (empty, truncated gzip, missing column, ...).

Every load returns stats that reconcile exactly: lines read = kept + quarantined + redelivered + erased,
where `erased` are the rows of persons already erased (erasure tombstones, lib/erasure), never written.

Each load is one transaction (a run's received days all together): a load that fails or is killed leaves
every table as it was before it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from orchestration.lib.core import email_key, failpoint, transaction
from orchestration.lib.core.pii import EMAIL_RE
from orchestration.lib.erasure import record_dropped, row_erased_sql, text_erased_sql
from orchestration.lib.ingest import contract
from orchestration.lib.ingest.batching import batches
from orchestration.lib.ingest.contract import InputFileError, TableSpec
from orchestration.lib.ingest.manifest import EVENT_FILES_DDL, EVENT_LOADS_DDL, next_load_id, record_loaded_files

ISO_INSTANT = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)"

DDL = """
create schema if not exists raw;
create schema if not exists quarantine;
create table if not exists quarantine.events (
    received_date date, source_file varchar, line_no integer, reason varchar, raw_line varchar
);
create table if not exists quarantine.records (
    dataset varchar, source_file varchar, line_no integer, reason varchar, detail varchar, raw_line varchar
);
create table if not exists quarantine.files (
    dataset varchar, partition_key varchar, source_file varchar, reason varchar, message varchar
);
"""


def connect(path: str | Path, memory_limit: str = "4GB") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), config={"memory_limit": memory_limit})
    prepare(con)
    return con


# raw.events: lineage, the parsed instant, then every EVENT_FIELDS column as text (then the load's id)
EVENT_COLUMNS = ("received_date", "source_file", "line_no", "occurred_at",
                 *(name for name, _ in contract.EVENT_FIELDS))


def _event_ddl() -> str:
    cols = []
    for name, _ in contract.EVENT_FIELDS:
        # the JSON objects are the bulk of the bytes: zstd writes 2x faster than the default here
        cols.append(f"{name} varchar using compression zstd" if name in contract.EVENT_JSON_COLUMNS
                    else f"{name} varchar")
    return ("create table if not exists raw.events (received_date date, source_file varchar, "
            f"line_no integer, occurred_at timestamp, {', '.join(cols)}, load_id bigint)")


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """The raw and quarantine tables as this version writes them (created when missing, an older suppression
    list hashed in place), in one transaction (the caller's, when one is open)."""
    con.execute("set TimeZone = 'UTC'")
    with transaction(con):
        _prepare_tables(con)


def _prepare_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)
    con.execute(_event_ddl())
    # written by an older microseg, without load ids: its rows are load 0, before every load of this version
    con.execute("alter table raw.events add column if not exists load_id bigint default 0")
    con.execute(EVENT_FILES_DDL)
    con.execute(EVENT_LOADS_DDL)
    for spec in contract.TABLES.values():
        stored = spec.stored_columns()
        present = [r[0] for r in con.execute("select column_name from information_schema.columns where "
                                             "table_schema = 'raw' and table_name = ?", [spec.name]).fetchall()]
        for column in spec.hashed:
            if column in present and spec.stored_name(column) not in present:
                # written by an older microseg (the suppression list held addresses): hashed in place
                hashed = q(spec.stored_name(column))
                con.execute(f"alter table raw.{spec.name} add column {hashed} varchar")
                con.execute(f"update raw.{spec.name} set {hashed} = sha256(lower(trim({q(column)}))) "
                            f"where nullif(trim({q(column)}), '') is not null")
                con.execute(f"alter table raw.{spec.name} drop column {q(column)}")
        cols = ", ".join(f"{q(c)} varchar" for c in stored)
        con.execute(f"create table if not exists raw.{spec.name} "
                    f"(source_file varchar, line_no integer, {cols}, extra json)")


def q(identifier: str) -> str:
    """Double-quote an identifier (the contract has a column named `at`, a SQL keyword)."""
    return '"' + identifier.replace('"', '""') + '"'


def relpath(path: Path, landing: Path) -> str:
    try:
        return path.relative_to(landing).as_posix()
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- events

@dataclass
class FileProblem:
    source_file: str
    reason: str
    message: str


@dataclass
class EventDayStats:
    received_date: str
    files: int = 0
    lines_read: int = 0
    kept: int = 0
    redelivered: int = 0
    quarantined: int = 0
    erased: int = 0          # lines of persons already erased: never written, not even to quarantine
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    file_problems: list[FileProblem] = field(default_factory=list)

    @property
    def reconciles(self) -> bool:
        return self.lines_read == self.kept + self.quarantined + self.redelivered + self.erased

    def add(self, other: "EventDayStats") -> None:
        """Accumulate another day's counts into these (totals over several days)."""
        for name in ("files", "lines_read", "kept", "quarantined", "redelivered", "erased"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, n in other.quarantine_reasons.items():
            self.quarantine_reasons[reason] = self.quarantine_reasons.get(reason, 0) + n
        self.file_problems += other.file_problems

    def to_dict(self) -> dict:
        return asdict(self) | {"reconciles": self.reconciles}


def _event_lines(landing: Path, files: list[Path], stats: EventDayStats) -> pa.Table:
    """(source_file, line_no, raw_line, encoding_ok) for every line of the day's readable files."""
    parts = []
    for path in files:
        rel = relpath(path, landing)
        try:
            data = contract.read_bytes(path)
            texts = contract.split_lines_fast(data)
            if texts is not None:
                ok = pa.repeat(True, len(texts))
            else:
                lines = contract.split_lines(path, data)
                texts = pa.array(lines.texts, pa.string())
                ok = pa.array([not b for b in lines.bad_encoding] if lines.bad_encoding else [True] * len(texts))
        except InputFileError as exc:
            stats.file_problems.append(FileProblem(rel, exc.reason, exc.message))
            continue
        n = len(texts)
        parts.append(pa.table({
            "source_file": pa.repeat(rel, n).cast(pa.string()),
            "line_no": pa.array(np.arange(1, n + 1, dtype=np.int32)),
            "raw_line": texts,
            "encoding_ok": ok,
        }))
    if not parts:
        return pa.table({"source_file": pa.array([], pa.string()), "line_no": pa.array([], pa.int32()),
                         "raw_line": pa.array([], pa.string()), "encoding_ok": pa.array([], pa.bool_())})
    return pa.concat_tables(parts)


_PATHS = ", ".join(f"'{path}'" for _, path in contract.EVENT_FIELDS)
_NAMED = ",\n        ".join(
    (f"nullif(trim(f[{i}]), '') as {name}" if name in ("message_id", "user_id", "anonymous_id") else f"f[{i}] as {name}")
    for i, (name, _) in enumerate(contract.EVENT_FIELDS, start=1))

EVENT_PARSE_SQL = f"""
create or replace temp table _event_lines_parsed as
with checked as (
    select received_date, source_file, line_no, raw_line, encoding_ok,
           encoding_ok and json_valid(raw_line) and starts_with(ltrim(raw_line), '{{') as is_object
    from _event_lines
),
fields as (
    -- one JSON parse per line for every field we expose
    select *, case when is_object then json_extract_string(raw_line, [{_PATHS}]) end as f
    from checked
),
named as (
    select received_date, source_file, line_no, raw_line, encoding_ok, is_object,
        {_NAMED}
    from fields
),
typed as (
    select *,
        case when regexp_full_match(trim(timestamp_raw), '{ISO_INSTANT}')
             then try_cast(trim(timestamp_raw) as timestamptz) end as occurred_at_tz
    from named
)
select
    *,
    timezone('UTC', occurred_at_tz) as occurred_at,
    case
        when not encoding_ok then 'bad_encoding'
        when not is_object then 'malformed_json'
        when message_id is null then 'missing_message_id'
        when timestamp_raw is null then 'missing_timestamp'
        when occurred_at_tz is null then 'bad_timestamp'
        when user_id is null and anonymous_id is null then 'missing_identity'
        when timezone('UTC', occurred_at_tz)
             > received_date + interval 1 day + to_microseconds(cast($tolerance_us as bigint))
             then 'future_timestamp'
    end as reason
from typed
"""


def load_event_day(con: duckdb.DuckDBPyConnection, landing: Path, day: str,
                   files: list[Path] | None = None, tolerance_hours: float = 24.0) -> EventDayStats:
    """Load one received-day folder into raw.events / quarantine.events, replacing that day only."""
    if files is None:
        files = contract.event_days(landing).get(day, [])
    return load_event_days(con, landing, {day: files}, tolerance_hours)[0]


def load_event_days(con: duckdb.DuckDBPyConnection, landing: Path, days: dict[str, list[Path]],
                    tolerance_hours: float = 24.0) -> list[EventDayStats]:
    """Load received-day folders (a batch: one statement per step), replacing those days only."""
    for day in days:
        if not contract.is_day(day):
            raise ValueError(f"partition {day!r} is not a date YYYY-MM-DD")
    all_stats = [EventDayStats(received_date=day, files=len(files)) for day, files in days.items()]
    tables = []
    for stats, files in zip(all_stats, days.values()):
        t = _event_lines(landing, files, stats)
        stats.lines_read = t.num_rows
        tables.append(t.append_column("received_date", pa.repeat(date.fromisoformat(stats.received_date),
                                                                 t.num_rows).cast(pa.date32())))
    con.register("_event_lines", pa.concat_tables(tables))
    try:
        con.execute(EVENT_PARSE_SQL, {"tolerance_us": int(tolerance_hours * 3_600_000_000)})
    finally:
        con.unregister("_event_lines")
    _mark_erased_events(con)
    day_list = [date.fromisoformat(d) for d in days]
    # nothing already loaded is lost: rows from a file that cannot be read now stay as they were
    unreadable = [p.source_file for st in all_stats for p in st.file_problems] or [""]
    replace = {"days": day_list, "keep": unreadable}
    with transaction(con):
        load_id = next_load_id(con, len(days))
        for table in ("raw.events", "quarantine.events"):
            con.execute(f"delete from {table} where received_date in (select unnest($days)) "
                        "and source_file not in (select unnest($keep))", replace)
        con.execute("delete from quarantine.files where dataset = 'events' and partition_key in (select unnest($d))",
                    {"d": list(days)})
        con.execute(f"""
            insert into raw.events
            select {", ".join(EVENT_COLUMNS)}, $load_id
            from _event_lines_parsed where reason is null and not erased""",   # in day, file, line order
                    {"load_id": load_id})
        con.execute("""
            insert into quarantine.events
            select received_date, source_file, line_no, reason, raw_line
            from _event_lines_parsed where reason is not null and not erased""")
        for stats in all_stats:
            for p in stats.file_problems:
                con.execute("insert into quarantine.files values ('events', ?, ?, ?, ?)",
                            [stats.received_date, p.source_file, p.reason, p.message])
        record_loaded_files(con, landing, days)
        _record_outcome(con, all_stats, list(days), unreadable)
    con.execute("drop table if exists _event_lines_parsed")
    return all_stats


def _record_outcome(con: duckdb.DuckDBPyConnection, all_stats: list[EventDayStats], days: list[str],
                    unreadable: list[str]) -> None:
    """Count each day's quarantined, erased and redelivered lines into its stats; record the erased ones'
    drop counts (inside the load's transaction)."""
    reasons: dict[str, dict[str, int]] = {}
    for day, reason, n in con.execute("""select strftime(received_date, '%Y-%m-%d'), reason, count(*)
                                         from _event_lines_parsed where reason is not null and not erased
                                         group by all order by all""").fetchall():
        reasons.setdefault(day, {})[reason] = n
    erased = dict(con.execute("select strftime(received_date, '%Y-%m-%d'), count(*) from _event_lines_parsed "
                              "where erased group by 1").fetchall())
    record_dropped(con, "events", days, "select strftime(received_date, '%Y-%m-%d'), source_file, count(*) "
                                        "as rows from _event_lines_parsed where erased group by all")
    redelivered = redelivered_by_day(con, days, exclude_files=unreadable)
    for stats in all_stats:
        stats.quarantine_reasons = reasons.get(stats.received_date, {})
        stats.quarantined = sum(stats.quarantine_reasons.values())
        stats.redelivered = redelivered.get(stats.received_date, 0)
        stats.erased = erased.get(stats.received_date, 0)
        stats.kept = stats.lines_read - stats.quarantined - stats.redelivered - stats.erased


def _mark_erased_events(con: duckdb.DuckDBPyConnection) -> None:
    """Add `erased` to the parsed lines: a line of someone already erased (by the keys the erasure purge matches:
    userId, anonymousId, the order of its properties, the email of its traits; a broken one by its tokens)."""
    valid = row_erased_sql(con, ["user_id", "anonymous_id", "order_id"],
                           {"email": "json_extract_string(traits, '$.email')"})
    if valid == "false":   # no tombstones (the usual case): no pass over the lines
        con.execute("alter table _event_lines_parsed add column erased boolean default false")
        return
    broken = text_erased_sql(con, "raw_line")
    con.execute("create or replace temp table _event_lines_parsed as select *, "
                f"case when reason is null then {valid} else {broken} end as erased from _event_lines_parsed")


@dataclass
class ReceivedDaysLoad:
    """What one run of raw/events loaded: totals over its received days and one row per day."""

    totals: EventDayStats
    per_day: list[dict]


def load_received_days(con: duckdb.DuckDBPyConnection, landing: Path, keys: list[str], tolerance_hours: float,
                       progress=None, warn=None, batch_bytes: int | None = None) -> ReceivedDaysLoad:
    """Load the received days `keys` (each replaces its own rows and touches no other day) in batches of at most
    `batch_bytes` of event text (lib/ingest/batching.py), with a progress line per batch, all in one
    transaction: a load that fails or is killed changes no day. A day without a folder has its rows removed;
    `warn` hears of it and of every file problem. Raises ValueError (and loads nothing) if the lines do not
    reconcile (read = kept + quarantined + redelivered + erased)."""
    progress, warn = progress or (lambda _: None), warn or (lambda _: None)
    days = contract.event_days(landing)
    keys = sorted(keys)
    totals = EventDayStats(received_date=",".join(keys))
    per_day: list[dict] = []
    for missing in sorted(set(keys) - set(days)):
        warn(f"received day {missing}: no folder events/{missing} in {landing}; its rows are removed from raw.events")
    done = 0
    with transaction(con):
        prepare(con)
        for batch in batches(keys, days, batch_bytes):
            for stats in load_event_days(con, landing, {d: days.get(d, []) for d in batch},
                                         tolerance_hours=tolerance_hours):
                for problem in stats.file_problems:
                    warn(f"{problem.source_file}: {problem.message}")
                totals.add(stats)
                per_day.append({"day": stats.received_date, "lines": stats.lines_read, "kept": stats.kept,
                                "quarantined": stats.quarantined, "redelivered": stats.redelivered,
                                "erased": stats.erased})
            failpoint("ingest.events")
            done += len(batch)
            progress(f"[{done}/{len(keys)} days] {totals.lines_read:,} lines so far, {totals.kept:,} kept, "
                     f"{totals.quarantined:,} quarantined, {totals.redelivered:,} redelivered"
                     + (f", {totals.erased:,} erased" if totals.erased else ""))
        if not totals.reconciles:   # never silently lose a line
            raise ValueError(f"events do not reconcile (read = kept + quarantined + redelivered + erased): "
                             f"{totals.to_dict()}")
    return ReceivedDaysLoad(totals, per_day)


def redelivered_by_day(con: duckdb.DuckDBPyConnection, days: list[str],
                       exclude_files: list[str] | None = None) -> dict[str, int]:
    """Per day: valid lines whose messageId was seen earlier (earlier day, file or line).

    Lines of `exclude_files` (kept from an earlier load, not read now) are ranked but not counted."""
    rows = con.execute("""
        with day_ids as (
            select distinct message_id from raw.events where received_date in (select unnest($days))
        ),
        ranked as (
            select e.received_date, e.source_file,
                   row_number() over (partition by e.message_id
                                      order by e.received_date, e.source_file, e.line_no) as occurrence
            from raw.events e semi join day_ids using (message_id)
        )
        select strftime(received_date, '%Y-%m-%d'), count(*) from ranked
        where received_date in (select unnest($days)) and occurrence > 1
          and source_file not in (select unnest($exclude))
        group by 1
    """, {"days": [date.fromisoformat(d) for d in days], "exclude": exclude_files or [""]}).fetchall()
    return dict(rows)


# ---------------------------------------------------------------- tables

@dataclass
class TableStats:
    dataset: str
    files: int = 0
    records_read: int = 0
    kept: int = 0
    quarantined: int = 0
    erased: int = 0          # records of persons already erased: never written, not even to quarantine
    blank_lines: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    carried_over: int = 0   # rows kept from an earlier load of a file that cannot be read now
    extra_columns: list[str] = field(default_factory=list)
    file_problems: list[FileProblem] = field(default_factory=list)

    @property
    def reconciles(self) -> bool:
        return self.records_read == self.kept + self.quarantined + self.erased

    def to_dict(self) -> dict:
        return asdict(self) | {"reconciles": self.reconciles}


def _records_table(spec: TableSpec, rel: str, records: contract.Records) -> pa.Table:
    n_contract = len(records.columns)
    data = {"source_file": pa.array([rel] * len(records.line_nos), pa.string()),
            "line_no": pa.array(records.line_nos, pa.int32())}
    for col in spec.columns:
        if col in records.columns:
            k = records.columns.index(col)
            data[col] = pa.array([v[k] for v in records.values], pa.string())
        else:
            data[col] = pa.nulls(len(records.line_nos), pa.string())
    extras = records.extra_columns
    data["extra"] = pa.array(
        [json.dumps(dict(zip(extras, v[n_contract:])), ensure_ascii=False) if extras else None
         for v in records.values], pa.string())
    return pa.table(data)


def _parquet_records(con: duckdb.DuckDBPyConnection, path: Path, spec: TableSpec,
                     rel: str) -> tuple[pa.Table, list[str]]:
    """The records of a Parquet file, as text, read on a cursor of `con`: a connection of its own, so that a
    broken file's error does not abort a transaction open on `con`."""
    if path.stat().st_size == 0:
        raise InputFileError(path, "empty_file", "file is empty (0 bytes)")
    with con.cursor() as reader:
        reader.execute("set TimeZone = 'UTC'")
        try:
            header = [r[0] for r in reader.execute("select name from parquet_schema(?) where num_children is null",
                                                   [str(path)]).fetchall()]
        except duckdb.Error as exc:
            raise InputFileError(path, "bad_parquet", f"not a readable Parquet file: {exc}") from exc
        present, extras = contract.check_header(path, spec, header)
        by_lower = {h.strip().lower(): h for h in header}
        select = [f"cast({q(by_lower[c])} as varchar) as {q(c)}" if c in present else f"null::varchar as {q(c)}"
                  for c in spec.columns]
        extra_sql = ("to_json(struct_pack(" + ", ".join(f"{q(e)} := cast({q(e)} as varchar)" for e in extras)
                     + "))::varchar" if extras else "null::varchar")
        table = reader.execute(
            f"select ?::varchar as source_file, cast(file_row_number + 1 as integer) as line_no, {', '.join(select)}, "
            f"{extra_sql} as extra from read_parquet(?, file_row_number = true) order by line_no",
            [rel, str(path)]).to_arrow_table()
    return table, extras


def _reason_sql(spec: TableSpec) -> tuple[str, str]:
    """SQL case expressions giving (reason, detail) of a record, or nulls when it is valid."""
    whens_reason, whens_detail = [], []
    for col in spec.key:
        cond = f"nullif(trim({q(col)}), '') is null"
        whens_reason.append(f"when {cond} then 'missing_key'")
        whens_detail.append(f"when {cond} then '{col} is empty'")
    casts = {"timestamp": "timestamptz", "number": "double", "integer": "bigint", "boolean": "boolean"}
    for col, kind in spec.typed:
        if kind == "boolean":
            bad = f"lower(trim({q(col)})) not in {contract.BOOLEAN_VALUES}"
        else:
            bad = f"try_cast(trim({q(col)}) as {casts[kind]}) is null"
        cond = f"nullif(trim({q(col)}), '') is not null and {bad}"
        whens_reason.append(f"when {cond} then 'bad_value'")
        whens_detail.append(f"when {cond} then '{col}: ' || {q(col)} || ' is not a {kind}'")
    for col, values in spec.allowed:
        cond = f"nullif(trim({q(col)}), '') is not null and trim({q(col)}) not in {tuple(values)}"
        whens_reason.append(f"when {cond} then 'bad_value'")
        whens_detail.append(f"when {cond} then '{col}: ' || {q(col)} || ' is not one of {', '.join(values)}'")
    return ("case " + " ".join(whens_reason) + " end", "case " + " ".join(whens_detail) + " end")


def _stored_sql(spec: TableSpec, column: str) -> str:
    """The SQL giving the stored value of contract column `column` of _records_checked (a hash, for hashed)."""
    return f"sha256(lower(trim({q(column)})))" if column in spec.hashed else q(column)


def _masked(spec: TableSpec, text: str | None) -> str | None:
    """A rejected line's text as quarantine keeps it: a hashed dataset's addresses as their hash."""
    if not spec.hashed or text is None:
        return text
    return EMAIL_RE.sub(lambda m: f"sha256:{email_key(m.group(0))}", text)


def load_table(con: duckdb.DuckDBPyConnection, landing: Path, spec: TableSpec) -> TableStats:
    """Rebuild raw.<spec.name> from every file of the dataset; bad records go to quarantine.records. The files
    are read first; then the tables are written in one transaction (prepare's too)."""
    files = contract.table_files(landing, spec)
    stats = TableStats(dataset=spec.name, files=len(files))
    parts: list[pa.Table] = []
    rejected: list[tuple[str, int, str, str, str]] = []
    for path in files:
        rel = relpath(path, landing)
        try:
            if path.name.endswith(".parquet"):
                table, extras = _parquet_records(con, path, spec, rel)
            else:
                records = contract.parse_csv(path, spec)
                table = _records_table(spec, rel, records)
                stats.blank_lines += records.blank_lines
                extras = records.extra_columns
                rejected += [(rel, line, reason, detail, raw) for line, reason, detail, raw in records.rejected]
        except InputFileError as exc:
            stats.file_problems.append(FileProblem(rel, exc.reason, exc.message))
            continue
        stats.extra_columns += [c for c in extras if c not in stats.extra_columns]
        parts.append(table)
    empty = pa.table({"source_file": pa.array([], pa.string()), "line_no": pa.array([], pa.int32()),
                      **{c: pa.array([], pa.string()) for c in spec.columns}, "extra": pa.array([], pa.string())})
    records_all = pa.concat_tables([empty, *[p.cast(empty.schema) for p in parts]])
    with transaction(con):
        prepare(con)
        _write_table(con, spec, stats, records_all, rejected)
    stats.records_read = records_all.num_rows + len(rejected)
    con.execute("drop table if exists _records_checked; drop table if exists _rejected_rows; "
                "drop table if exists _previous")
    return stats


def _write_table(con: duckdb.DuckDBPyConnection, spec: TableSpec, stats: TableStats, records_all: pa.Table,
                 rejected: list[tuple[str, int, str, str, str]]) -> None:
    """Check the records read, then replace raw.<spec.name> and the dataset's quarantine rows (inside the load's
    transaction); fills the counts of `stats`."""
    reason_sql, detail_sql = _reason_sql(spec)
    con.register("_records", records_all)
    rejected_table = pa.table({
        "source_file": pa.array([r[0] for r in rejected], pa.string()),
        "line_no": pa.array([r[1] for r in rejected], pa.int32()),
        "reason": pa.array([r[2] for r in rejected], pa.string()),
        "detail": pa.array([_masked(spec, r[3]) for r in rejected], pa.string()),
        "raw_line": pa.array([_masked(spec, r[4]) for r in rejected], pa.string()),
    })
    con.register("_rejected", rejected_table)
    cols = ", ".join(f"{_stored_sql(spec, c)} as {q(spec.stored_name(c))}" for c in spec.columns)
    # a hashed dataset (the suppression list) holds no personal data and keeps an erased person's request
    erased_row = "false" if spec.hashed else row_erased_sql(con, list(spec.columns))
    erased_line = "false" if spec.hashed else text_erased_sql(con, "raw_line")
    try:
        con.execute(f"""create or replace temp table _records_checked as
                        select *, {reason_sql} as _reason, {detail_sql} as _detail, {erased_row} as _erased
                        from _records""")
        con.execute(f"""create or replace temp table _rejected_rows as
                        select * exclude (raw_line), raw_line, {erased_line} as _erased
                        from _rejected""")
    finally:
        con.unregister("_records")
        con.unregister("_rejected")
    erased = con.execute("select (select count(*) from _records_checked where _erased) + "
                         "(select count(*) from _rejected_rows where _erased)").fetchall()[0][0]
    record_dropped(con, spec.name, None, "select null, source_file, count(*) as rows from (select source_file from "
                                         "_records_checked where _erased union all select source_file from "
                                         "_rejected_rows where _erased) group by all")
    con.execute("delete from _records_checked where _erased")
    con.execute("delete from _rejected_rows where _erased")
    # nothing already loaded is lost: rows from a file that cannot be read now stay as they were
    keep = {"keep": [p.source_file for p in stats.file_problems] or [""]}
    con.execute(f"create or replace temp table _previous as select * from raw.{spec.name} "
                "where source_file in (select unnest($keep))", keep)
    stats.carried_over = con.execute("select count(*) from _previous").fetchall()[0][0]
    con.execute(f"""create or replace table raw.{spec.name} as
                    select * from (
                        select source_file, line_no, {cols}, extra::json as extra
                        from _records_checked where _reason is null
                        union all
                        select * from _previous
                    ) order by source_file, line_no""")
    failpoint("ingest.tables")
    con.execute("delete from quarantine.records where dataset = $dataset "
                "and source_file not in (select unnest($keep))", {"dataset": spec.name, **keep})
    con.execute(f"""insert into quarantine.records
                    select ?, source_file, line_no, _reason, _detail,
                           concat_ws(',', {', '.join(f"coalesce({_stored_sql(spec, c)}, '')" for c in spec.columns)})
                    from _records_checked where _reason is not null""", [spec.name])
    con.execute("insert into quarantine.records select ?, source_file, line_no, reason, detail, raw_line "
                "from _rejected_rows", [spec.name])
    con.execute("delete from quarantine.files where dataset = ?", [spec.name])
    for p in stats.file_problems:
        con.execute("insert into quarantine.files values (?, null, ?, ?, ?)",
                    [spec.name, p.source_file, p.reason, p.message])
    stats.quarantine_reasons = dict(con.execute(
        "select reason, count(*) from quarantine.records where dataset = $dataset "
        "and source_file not in (select unnest($keep)) group by 1 order by 1", {"dataset": spec.name, **keep}).fetchall())
    stats.quarantined = sum(stats.quarantine_reasons.values())
    stats.kept = con.execute(f"select count(*) from raw.{spec.name}").fetchall()[0][0] - stats.carried_over
    stats.erased = erased
