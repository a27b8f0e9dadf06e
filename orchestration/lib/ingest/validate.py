"""`microseg validate`: check a landing folder against the contract without touching the warehouse.

It runs the very same loading code as the pipeline, into an in-memory DuckDB that is thrown away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.lib.core import mask_pii
from orchestration.lib.ingest import contract
from orchestration.lib.ingest import loading as ingest


@dataclass
class ValidationReport:
    landing: str
    datasets: dict[str, dict] = field(default_factory=dict)
    stray: list[str] = field(default_factory=list)
    samples: list[dict] = field(default_factory=list)   # a few quarantined lines, with file and line

    @property
    def problems(self) -> int:
        return (sum(d["quarantined"] + len(d["file_problems"]) for d in self.datasets.values())
                + len(self.stray))

    @property
    def ok(self) -> bool:
        return self.problems == 0

    def to_dict(self) -> dict:
        return {"landing": self.landing, "ok": self.ok, "problems": self.problems,
                "datasets": self.datasets, "stray": self.stray, "samples": [s | {"text": mask_pii(s["text"])} for s in self.samples]}

    def format(self) -> str:
        out = [f"Landing folder {self.landing}"]
        for name, d in self.datasets.items():
            read = d.get("lines_read", d.get("records_read", 0))
            out.append(f"  {name:<12} files {d['files']:>4}  read {read:>10,}  kept {d['kept']:>10,}  "
                       f"quarantined {d['quarantined']:>7,}"
                       + (f"  redelivered {d['redelivered']:,}" if "redelivered" in d else ""))
            for reason, n in sorted(d["quarantine_reasons"].items()):
                out.append(f"      {reason:<22} {n:>8,}")
            for p in d["file_problems"]:
                out.append(f"      FILE {p['source_file']}: {p['message']}")
        for s in self.stray:
            out.append(f"  ignored: {s}")
        if self.samples:
            out.append("Examples of quarantined lines:")
            out += [f"  {s['file']}:{s['line']}  {s['reason']}  {mask_pii(s['text'])[:100]}" for s in self.samples]
        out.append("OK: the folder follows the contract" if self.ok else f"{self.problems:,} problem(s) found")
        return "\n".join(out)


def validate_landing(landing: Path, tolerance_hours: float = 24.0,
                     progress: Callable[[str], None] | None = None, batch_bytes: int | None = None
                     ) -> ValidationReport:
    report = ValidationReport(landing=str(landing), stray=contract.stray_event_entries(landing))
    con = duckdb.connect(":memory:")
    ingest.prepare(con)
    days = contract.event_days(landing)
    events = ingest.EventDayStats(received_date=f"{len(days)} days")
    done = 0
    for batch in ingest.batches(list(days), days, batch_bytes):
        for stats in ingest.load_event_days(con, landing, {d: days[d] for d in batch}, tolerance_hours):
            events.add(stats)
        done += len(batch)
        if progress:
            progress(f"[{done}/{len(days)} days] events: {events.lines_read:,} lines")
    report.datasets["events"] = events.to_dict()
    for spec in contract.TABLES.values():
        report.datasets[spec.name] = ingest.load_table(con, landing, spec).to_dict()
        if progress:
            progress(f"{spec.name}: checked")
    report.samples = [
        {"file": f, "line": n, "reason": r, "text": t}
        for f, n, r, t in con.execute("""
            with bad as (
                select source_file, line_no, reason, raw_line from quarantine.events
                union all
                select source_file, line_no, reason, raw_line from quarantine.records
            )
            select source_file, line_no, reason, raw_line from bad
            qualify row_number() over (partition by reason order by source_file, line_no) <= 2
            order by reason, source_file, line_no""").fetchall()]
    con.close()
    return report
