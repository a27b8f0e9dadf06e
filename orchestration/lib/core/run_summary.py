"""What a person reads after a load: rows per table in data-flow order, quarantined lines by reason, unreadable
files, the gates, what failed (one line each: asset key and reason) and what that blocked."""

from __future__ import annotations

import duckdb

# the warehouse's schemas in data-flow order: the summary lists their tables in this order
SCHEMA_ORDER = ("raw", "quarantine", "staging", "identity", "erasure", "intermediate", "marts", "enrichment",
                "scoring", "segments")
# metadata key of a step's failure naming the assets it is about (e.g. the model whose dbt test failed), when
# they are not simply the step's assets that were not materialized
FAILED_ASSETS = "failed_assets"


def one_line(text: str | None) -> str:
    """`text` on one line: its non-empty lines, stripped, joined by a space."""
    return " ".join(line.strip() for line in (text or "").splitlines() if line.strip())


def warehouse_summary(con: duckdb.DuckDBPyConnection) -> dict:
    """Row counts of every table, schemas in data-flow order (SCHEMA_ORDER), the redelivered duplicates raw.events
    holds (staged once), the quarantine by reason and the files not loaded, from the warehouse itself."""
    order = " ".join(f"when '{s}' then {i}" for i, s in enumerate(SCHEMA_ORDER))
    schemas = ", ".join(f"'{s}'" for s in SCHEMA_ORDER)
    tables = con.execute(f"""
        select table_schema, table_name from information_schema.tables
        where table_schema in ({schemas})
        order by case table_schema {order} end, table_name
    """).fetchall()
    rows = {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchall()[0][0] for s, t in tables}
    redelivered = {}
    if "raw.events" in rows:
        redelivered["raw.events"] = con.execute(
            "select count(*) - count(distinct message_id) from raw.events").fetchall()[0][0]
    quarantine, files = [], []
    if "quarantine.events" in rows and "quarantine.records" in rows:
        quarantine = [
            {"dataset": d, "reason": r, "rows": n}
            for d, r, n in con.execute("""
                select 'events', reason, count(*) from quarantine.events group by all
                union all
                select dataset, reason, count(*) from quarantine.records group by all
                order by 1, 2""").fetchall()
        ]
    if "quarantine.files" in rows:
        files = [{"dataset": d, "file": f, "reason": r, "message": m}
                 for d, f, r, m in con.execute(
                     "select dataset, source_file, reason, message from quarantine.files order by 1, 2").fetchall()]
    return {"rows": rows, "redelivered": redelivered, "quarantine": quarantine, "file_problems": files,
            "erasure": _erasure_summary(con, rows)}


def _erasure_summary(con: duckdb.DuckDBPyConnection, rows: dict) -> dict:
    """Erasure requests by status and the rows of erased persons the last loads dropped, per dataset."""
    requests = dict(con.execute("select status, count(*) from erasure.requests group by 1 order by 1").fetchall()
                    ) if "erasure.requests" in rows else {}
    dropped = dict(con.execute("select dataset, sum(rows)::bigint from erasure.dropped_at_ingest group by 1 "
                               "order by 1").fetchall()) if "erasure.dropped_at_ingest" in rows else {}
    return {"requests": requests, "dropped_at_ingest": dropped}


def gate_entry(name: str, asset: str, passed: bool, metadata: dict) -> dict:
    """One gate's line of the summary, from its check evaluation (`metadata`: plain values)."""
    failed = [f"{f['expectation']}({f.get('column') or ''})" for f in metadata.get("failed_expectations") or []]
    return {"name": name, "asset": asset, "passed": passed, "detail": ", ".join(failed)}


def _rows_lines(summary: dict) -> list[str]:
    redelivered = summary.get("redelivered") or {}
    labels = {name: f"  {name}" for name in summary["rows"]}
    sub = {name: "    redelivered duplicates (staged once)" for name in redelivered}
    width = max((len(x) for x in [*labels.values(), *sub.values()]), default=12)
    out = []
    for name, n in summary["rows"].items():
        out.append(f"{labels[name]:<{width}}  {n:>12,}")
        if name in sub:
            out.append(f"{sub[name]:<{width}}  {redelivered[name]:>12,}")
    return out or ["  (no tables)"]


def format_summary(summary: dict, gates: list[dict] | None = None, reports: dict | None = None,
                   failures: list[dict] | None = None, blocked: list[str] | None = None,
                   runs: list[str] | None = None) -> str:
    """The summary as text. `failures`: {asset, reason} per failed step; `blocked`: the asset keys not
    materialized because something upstream failed (never a failed asset itself); `runs`: lines about the
    warehouse's run journal (the previous run, what this run repaired)."""
    out = ["Rows per table (data-flow order):", *_rows_lines(summary)]
    out.append("Quarantined lines (file, line, raw text and reason in quarantine.events / quarantine.records):")
    out += [f"  {q['dataset']:<12} {q['reason']:<20} {q['rows']:>10,}" for q in summary["quarantine"]] or ["  none"]
    erasure = summary.get("erasure") or {}
    if erasure.get("requests"):
        out.append("Erasure (reports in reports/erasure/):")
        out.append("  requests: " + ", ".join(f"{n:,} {status}" for status, n in erasure["requests"].items()))
        out.append("  rows of erased persons dropped at ingest (never written): "
                   + (", ".join(f"{d} {n:,}" for d, n in erasure["dropped_at_ingest"].items()) or "none"))
    if summary["file_problems"]:
        out.append("Files not loaded (quarantine.files):")
        out += [f"  {f['file']}: {f['message']}" for f in summary["file_problems"]]
    if gates is not None:
        out.append("Gates:")
        out += [f"  {'PASSED' if g['passed'] else 'FAILED'}  {g['name']} on {g['asset']}"
                + (f"  ({g['detail']})" if g.get("detail") else "") for g in gates] or ["  none ran"]
    if reports:
        out.append("Reports:")
        out += [f"  {name}: {path}" for name, path in reports.items()]
    if runs:
        out.append("Runs (journal.runs):")
        out += [f"  {line}" for line in runs]
    if failures:
        out.append("Failed (asset: reason):")
        out += [f"  {f['asset']}: {one_line(f['reason'])}" for f in failures]
    if blocked:
        out.append("Not materialized (blocked upstream): " + ", ".join(blocked))
    return "\n".join(out)
