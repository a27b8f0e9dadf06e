"""The erasure report of a request, for the person's data-protection record: what was removed from where and
when, what remains pseudonymous, and what microseg cannot reach. Written as `<request_id>.md` and `.json`;
it names the person by the request id only, never by an address."""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.lib.core import markdown_table, write_text_atomic
from orchestration.lib.erasure.apply import ErasureResult

NOT_REACHED = (
    "The landing folder and its backups are yours: the files listed under *Still in the landing folder* hold "
    "the person's rows as exported. microseg never loads them again (the tombstones drop them at ingest), but "
    "remove them from the export and its backups to complete the erasure.",
    "The email service provider: microseg does not sync to an ESP yet; delete the contact there as well.",
)


def _lines(lines: list[int]) -> str:
    shown = ", ".join(map(str, lines[:20]))
    return shown + (f" (+{len(lines) - 20} more)" if len(lines) > 20 else "")


def report_markdown(r: ErasureResult) -> str:
    out = [f"# Erasure {r.request_id}", "",
           f"- status: **{r.status}**" + (" (no record held this address; its hash is kept so that data "
                                          "arriving later is dropped)" if r.status == "not_found" else ""),
           f"- requested by: {r.source}",
           f"- applied at: {r.applied_at.isoformat()} UTC" + (f" by run {r.run_id}" if r.run_id else ""),
           f"- persons: {r.persons}", "", "## Removed from the warehouse", ""]
    out += [markdown_table([{"table": t, "rows": n} for t, n in sorted(r.tables.items())]) if r.tables
            else "Nothing: no table held this person.", "", "## Removed from files", ""]
    out += [markdown_table([{"file": f, "rows or mentions": n} for f, n in sorted(r.files.items())]) if r.files
            else "Nothing: no report, review or export file named this person.", "",
            "## What remains, pseudonymous", "",
            "- tombstones (SHA-256 hashes only, in `erasure.tombstones`): "
            + (", ".join(f"{k} {n}" for k, n in sorted(r.tombstones.items())) or "none"),
            "- `raw.suppression` keeps the request's row as the address's SHA-256 (never the address)."]
    out += [f"- `{t}`: {n} rows keep the person's pseudonymous person_id (segment history); the next segments "
            "step records their exit" for t, n in sorted(r.pseudonymous.items())]
    out += ["", "## Still in the landing folder (yours to delete)", ""]
    out += [markdown_table([{"file": f, "lines": _lines(lines)} for f, lines in sorted(r.landing.items())])
            if r.landing else "None found.", "", "## Not reachable by microseg", ""]
    out += [f"- {text}" for text in NOT_REACHED]
    return "\n".join(out) + "\n"


def write_report(r: ErasureResult, folder: Path) -> Path:
    """Write the request's report (markdown and JSON) into `folder`; returns the markdown file."""
    folder.mkdir(parents=True, exist_ok=True)
    md = folder / f"{r.request_id}.md"
    write_text_atomic(md, report_markdown(r))
    data = {"request_id": r.request_id, "status": r.status, "source": r.source, "run_id": r.run_id,
            "applied_at": r.applied_at.isoformat(), "persons": r.persons, "tables": r.tables, "files": r.files,
            "tombstones": r.tombstones, "pseudonymous": r.pseudonymous, "landing": r.landing,
            "not_reachable": list(NOT_REACHED)}
    write_text_atomic(folder / f"{r.request_id}.json", json.dumps(data, indent=2, sort_keys=True) + "\n")
    return md
