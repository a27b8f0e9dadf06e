"""Great Expectations 1.x validation of a DataFrame against a committed suite, with Data Docs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import pandas as pd


class GreatExpectationsResource(dg.ConfigurableResource):
    """Runs the suites in `suites_dir` (committed JSON) and writes Data Docs to `data_docs_dir`.

    The context is ephemeral: nothing under expectations/ is rewritten by a run; only the Data Docs
    folder is written. great_expectations is imported lazily (it takes seconds).
    """

    suites_dir: str
    data_docs_dir: str

    def suite_dict(self, suite_name: str) -> dict:
        path = Path(self.suites_dir) / f"{suite_name}.json"
        if not path.is_file():
            raise FileNotFoundError(f"GE suite {suite_name!r} not found: expected {path}")
        return json.loads(path.read_text(encoding="utf-8"))

    def validate(self, suite_name: str, df: pd.DataFrame):
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        ctx.update_data_docs_site(site_name="local_site", site_config={
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(Path(self.data_docs_dir).resolve())},
        })
        spec = self.suite_dict(suite_name)
        suite = ctx.suites.add(gx.ExpectationSuite(
            name=spec["name"], meta=spec.get("meta", {}),
            expectations=[_expectation(e) for e in spec["expectations"]]))
        batch = (ctx.data_sources.add_pandas("pandas")
                 .add_dataframe_asset(suite_name).add_batch_definition_whole_dataframe("all_rows"))
        vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=suite_name, data=batch, suite=suite))
        checkpoint = ctx.checkpoints.add(gx.Checkpoint(
            name=suite_name, validation_definitions=[vd], result_format="SUMMARY",
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")]))
        result = checkpoint.run(batch_parameters={"dataframe": df})
        return next(iter(result.run_results.values()))


def _expectation(spec: dict):
    """Build an expectation object from its JSON form ({"type": ..., "kwargs": {...}, "meta": {...}})."""
    from great_expectations.expectations.registry import get_expectation_impl

    cls = get_expectation_impl(spec["type"])
    return cls(**spec.get("kwargs", {}), meta=spec.get("meta") or None)


def summarize(result) -> dict:
    """The parts of a GE validation result a person reads: statistics and each failed expectation."""
    failed = []
    for r in result.results:
        if r.success:
            continue
        cfg = r.expectation_config
        res = r.result or {}
        failed.append({
            "expectation": cfg.type,
            "column": cfg.kwargs.get("column"),
            "unexpected_count": res.get("unexpected_count"),
            "unexpected_percent": res.get("unexpected_percent"),
            "observed_value": res.get("observed_value"),
            "sample": [str(v) for v in (res.get("partial_unexpected_list") or [])[:5]],
        })
    return {"success": bool(result.success), "statistics": dict(result.statistics), "failed": failed}
