"""Reporting assets: what a load produced, for people."""


import json

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.constants import GROUP_REPORTING, OWNERS
from orchestration.lib.core import format_summary, markdown_table, warehouse_summary
from orchestration.resources.settings import MicrosegResource


@dg.asset(
    group_name=GROUP_REPORTING,
    deps=["stg_tracking__events", "stg_crm__contacts", "stg_shop__orders", "stg_shop__order_items", "stg_shop__products", "stg_esp__suppressions"],
    kinds={"python", "duckdb"},
    owners=OWNERS,
)
def load_report(context: dg.AssetExecutionContext, microseg: MicrosegResource,
                duckdb: DuckDBResource) -> dg.MaterializeResult:
    """One report per run: rows per table and quarantined lines by reason, in reports/load_report.{json,md}.

    Downstream of the staging gates: it is not written when a blocking gate fails.
    """
    as_of = microseg.as_of_text(context)
    with duckdb.get_connection() as con:
        summary = warehouse_summary(con)
    out = microseg.reports_path
    out.mkdir(parents=True, exist_ok=True)
    (out / "load_report.json").write_text(json.dumps({"as_of": as_of, **summary}, indent=2), encoding="utf-8")
    (out / "load_report.md").write_text(f"# Load report (as_of {as_of})\n\n```\n{format_summary(summary)}\n```\n",
                                        encoding="utf-8")
    return dg.MaterializeResult(metadata={
        **microseg.run_metadata(context),
        "path": dg.MetadataValue.path(str(out / "load_report.md")),
        "rows": dg.MetadataValue.md(markdown_table([{"table": k, "rows": v} for k, v in summary["rows"].items()])),
        "quarantine": dg.MetadataValue.md(markdown_table(summary["quarantine"])),
    })
