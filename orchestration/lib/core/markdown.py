"""Markdown tables for asset metadata and reports."""

from __future__ import annotations


def markdown_table(rows: list[dict]) -> str:
    if not rows:
        return "(none)"
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(c, "")).replace("|", "\\|").replace("\n", " ")
                                       for c in cols) + " |")
    return "\n".join(lines)
