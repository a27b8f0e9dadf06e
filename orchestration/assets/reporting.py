"""Reporting assets: what a load produced, for people."""


import json

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.constants import GROUP_REPORTING, OWNERS
from orchestration.lib.core import format_summary, gate_entry, markdown_table, warehouse_summary, write_text_atomic
from orchestration.resources.settings import MicrosegResource

STAGED = ["stg_tracking__events", "stg_crm__contacts", "stg_shop__orders", "stg_shop__order_items",
          "stg_shop__products", "stg_esp__suppressions"]


def load_gates(context: dg.AssetExecutionContext) -> list[dict]:
    """The gates of the load: this run's verdicts of the GE gates on the staged tables, which ran before the
    report (blocking: the report is only written when they passed)."""
    entries = context.instance.all_logs(context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    evaluations = [e.dagster_event.event_specific_data for e in entries if e.dagster_event]
    return [gate_entry(ev.check_name, ev.asset_key.to_user_string(), ev.passed,
                       {k: v.value for k, v in ev.metadata.items()})
            for ev in evaluations if ev.check_name.startswith("ge_") and ev.asset_key.to_user_string() in STAGED]


@dg.asset(
    group_name=GROUP_REPORTING,
    deps=STAGED,
    kinds={"python", "duckdb"},
    owners=OWNERS,
)
def load_report(context: dg.AssetExecutionContext, microseg: MicrosegResource,
                duckdb: DuckDBResource) -> dg.MaterializeResult:
    """One report per run: rows per table in data-flow order, quarantined lines by reason and the gates of the
    load, in reports/load_report.{json,md}.

    Downstream of the staging gates: it is not written when a blocking gate fails.
    """
    as_of = microseg.as_of_text(context)
    with duckdb.get_connection() as con:
        summary = warehouse_summary(con)
    gates = load_gates(context)
    out = microseg.reports_path
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "load_report.json", json.dumps({"as_of": as_of, **summary, "gates": gates}, indent=2))
    text = format_summary(summary, gates)
    write_text_atomic(out / "load_report.md", f"# Load report (as_of {as_of})\n\n```\n{text}\n```\n")
    return dg.MaterializeResult(metadata={
        **microseg.run_metadata(context),
        "path": dg.MetadataValue.path(str(out / "load_report.md")),
        "rows": dg.MetadataValue.md(markdown_table([{"table": k, "rows": v} for k, v in summary["rows"].items()])),
        "quarantine": dg.MetadataValue.md(markdown_table(summary["quarantine"])),
        "gates": dg.MetadataValue.md(markdown_table(gates)),
    })
