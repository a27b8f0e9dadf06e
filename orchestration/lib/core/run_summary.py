"""What a person reads after a load: rows per table, quarantined lines by reason, unreadable files."""

from __future__ import annotations

import duckdb





def warehouse_summary(con: duckdb.DuckDBPyConnection) -> dict:
    """Row counts of every raw/staging/marts table and the quarantine, from the warehouse itself."""
    tables = con.execute("""
        select table_schema, table_name from information_schema.tables
        where table_schema in ('raw', 'staging', 'intermediate', 'marts', 'identity', 'scoring', 'enrichment',
                               'segments')
        order by case table_schema when 'raw' then 0 when 'staging' then 1 else 2 end, table_name
    """).fetchall()
    rows = {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchall()[0][0] for s, t in tables}
    quarantine = []
    if con.execute("select count(*) from information_schema.tables where table_schema = 'quarantine'").fetchall()[0][0]:
        quarantine = [
            {"dataset": d, "reason": r, "rows": n}
            for d, r, n in con.execute("""
                select 'events', reason, count(*) from quarantine.events group by all
                union all
                select dataset, reason, count(*) from quarantine.records group by all
                order by 1, 2""").fetchall()
        ]
        files = [{"dataset": d, "file": f, "reason": r, "message": m}
                 for d, f, r, m in con.execute(
                     "select dataset, source_file, reason, message from quarantine.files order by 1, 2").fetchall()]
    else:
        files = []
    return {"rows": rows, "quarantine": quarantine, "file_problems": files}


def format_summary(summary: dict, gates: list[dict] | None = None, reports: dict | None = None) -> str:
    out = ["Rows per table:"]
    width = max((len(k) for k in summary["rows"]), default=10)
    out += [f"  {name:<{width}}  {n:>12,}" for name, n in summary["rows"].items()] or ["  (no tables)"]
    out.append("Quarantined lines (file, line, raw text and reason in quarantine.events / quarantine.records):")
    out += [f"  {q['dataset']:<12} {q['reason']:<20} {q['rows']:>10,}" for q in summary["quarantine"]] or ["  none"]
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
    return "\n".join(out)
