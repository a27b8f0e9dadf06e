"""Great Expectations 1.x validation of a DataFrame against a committed suite, with Data Docs that keep every
validation and open offline."""

from __future__ import annotations

import contextlib
import filecmp
import json
import os
import re
import shutil
from pathlib import Path

import dagster as dg
import pandas as pd

from orchestration.constants import EXPECTATIONS_DIR
from orchestration.lib.core import write_text_atomic
from orchestration.resources.gx_views import INDEX_VIEW, PAGE_VIEW

# The files GE's page templates fetch from CDNs, shipped in the repository (README there: package, version,
# license of each); copied next to the site, into static/vendor/.
DATA_DOCS_STATIC_DIR = EXPECTATIONS_DIR / "data_docs_static"
VENDOR = "static/vendor"
# Every validation result (GE's JSON), under the Data Docs folder: the index lists all of them, every run's.
RESULTS_FOLDER = "validation_results"
SITE_NAME = "local_site"

# Every external URL GE 1.x's Data Docs pages load (great_expectations/render/view/templates/*.j2 and the
# inlined static/styles/data_docs_default_styles.css) -> the file in the site that replaces it.
# "@N" on jsdelivr is the newest N.x: the version in the path is the one shipped.
_S3 = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
SITE_FILES = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css":
        f"{VENDOR}/bootstrap-4.3.1/dist/css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js":
        f"{VENDOR}/bootstrap-4.3.1/dist/js/bootstrap.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css":
        f"{VENDOR}/bootstrap-table-1.19.1/dist/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js":
        f"{VENDOR}/bootstrap-table-1.19.1/dist/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        f"{VENDOR}/bootstrap-table-1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        f"{VENDOR}/bootstrap-table-1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        f"{VENDOR}/bootstrap-table-1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        f"{VENDOR}/bootstrap-datepicker-1.9.0/dist/css/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        f"{VENDOR}/bootstrap-datepicker-1.9.0/dist/js/bootstrap-datepicker.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        f"{VENDOR}/bootstrap-dark-1.1.0/dist/css/bootstrap-prefers-dark.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css":
        f"{VENDOR}/fontawesome-free-6.6.0/css/all.min.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": f"{VENDOR}/jquery-3.7.1/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js":
        f"{VENDOR}/popper.js-1.12.9/dist/umd/popper.min.js",
    "https://cdn.jsdelivr.net/npm/vega@5": f"{VENDOR}/vega-5.33.1/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": f"{VENDOR}/vega-lite-5.23.0/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": f"{VENDOR}/vega-embed-6.29.0/build/vega-embed.min.js",
    # GE's logo: the site builder copies GE's own images into static/images (there is no dark variant)
    _S3 + "logo-long.png": "static/images/logo-long.png",
    _S3 + "full_logo_dark.png": "static/images/logo-long.png",
}
# where a page loads a file: a src or href attribute, a CSS url()
_LOAD = r"((?:src|href)=[\"']|url\([\"']?)"
# a known URL loaded, with any query (?d=<id> on the logo), up to its closing quote
_CDN_URL = re.compile(_LOAD + "(" + "|".join(re.escape(u) for u in sorted(SITE_FILES, key=len, reverse=True))
                      + r")(?:\?[^\"')\s]*)?(?=[\"')])")
# GE's relative links to static/ (its favicon link on validation pages is one level short)
_STATIC_LINK = re.compile(_LOAD + r"(?:\./|(?:\.\./)+)?static/")
# subresource integrity needs CORS, which pages opened from file:// cannot do; the files are the same bytes
_SRI = re.compile(r"\s(?:integrity|crossorigin)=\"[^\"]*\"")


class GreatExpectationsResource(dg.ConfigurableResource):
    """Runs the suites in `suites_dir` (committed JSON) and writes Data Docs to `data_docs_dir`.

    The context is ephemeral: nothing under expectations/ is rewritten by a run. Only the Data Docs folder is
    written: every validation result (validation_results/, so the index lists every gate of every run, named by
    the gated asset and the Dagster run), its page, and the scripts and styles the pages load (static/vendor/,
    copied from expectations/data_docs_static/): the pages open styled without network and contact nothing.
    great_expectations is imported lazily (it takes seconds).
    """

    suites_dir: str
    data_docs_dir: str

    def suite_dict(self, suite_name: str) -> dict:
        path = Path(self.suites_dir) / f"{suite_name}.json"
        if not path.is_file():
            raise FileNotFoundError(f"GE suite {suite_name!r} not found: expected {path}")
        return json.loads(path.read_text(encoding="utf-8"))

    def suite_names(self) -> list[str]:
        return sorted(p.stem for p in Path(self.suites_dir).glob("*.json"))

    def validate(self, suite_name: str, df: pd.DataFrame, asset: str | None = None, run_name: str | None = None):
        """Validate `df` with the suite, keep the result and update the Data Docs. `asset` (the data asset the
        pages name) and `run_name` default to the gated asset and the run id when called from a Dagster asset
        check, else to the suite's name and none. The result's meta["data_docs_page"] is its page."""
        def batch(ctx, asset_name):
            return ctx.data_sources.add_pandas("dagster").add_dataframe_asset(asset_name) \
                .add_batch_definition_whole_dataframe("all_rows")

        return self._run(suite_name, batch, {"dataframe": df}, asset, run_name)

    def validate_query(self, suite_name: str, con, query: str, asset: str | None = None,
                       run_name: str | None = None):
        """Validate the rows of `query` on the DuckDB connection `con` with the suite, as SQL in the warehouse
        (GE's SQL datasource; no row leaves DuckDB but the few unexpected values a result shows). Otherwise as
        `validate`."""
        from orchestration.resources.gx_duckdb import SQLALCHEMY_URL, gx_sql_datasource_kwargs

        with gx_sql_datasource_kwargs(con) as kwargs:
            def batch(ctx, asset_name):
                return ctx.data_sources.add_sql("warehouse", connection_string=SQLALCHEMY_URL, kwargs=kwargs) \
                    .add_query_asset(asset_name, query=query).add_batch_definition_whole_table("all_rows")

            return self._run(suite_name, batch, None, asset, run_name)

    def _run(self, suite_name: str, batch, batch_parameters: dict | None, asset: str | None,
             run_name: str | None):
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.core.run_identifier import RunIdentifier

        spec = self.suite_dict(suite_name)
        checked_asset, dagster_run = _current_check()
        asset = asset or checked_asset or suite_name
        run_name = run_name or dagster_run
        site = Path(self.data_docs_dir).resolve()
        ctx = _context(site)
        # every committed suite, so that the index lists them all (their pages are built when missing)
        for name in self.suite_names():
            if name != suite_name:
                ctx.suites.add(_suite(gx, self.suite_dict(name)))
        suite = ctx.suites.add(_suite(gx, spec))
        vd = ctx.validation_definitions.add(gx.ValidationDefinition(
            name=suite_name, data=batch(ctx, asset.replace("/", "__")), suite=suite))
        checkpoint = ctx.checkpoints.add(gx.Checkpoint(name=suite_name, validation_definitions=[vd],
                                                       result_format="SUMMARY"))
        run = checkpoint.run(batch_parameters=batch_parameters, run_id=RunIdentifier(run_name=run_name))
        key, result = next(iter(run.run_results.items()))
        # GE's pages read the data asset from the batch spec, which a dataframe batch leaves without one
        result.meta["batch_spec"] = {**(result.meta.get("batch_spec") or {}), "data_asset_name": asset}
        with _site_lock(site):
            ctx.validation_results_store.set(key, result)
            _build_data_docs(ctx, site, key, suite_name)
        result.meta["data_docs_page"] = str(site / _page(key))
        return result


def _suite(gx, spec: dict):
    return gx.ExpectationSuite(name=spec["name"], meta=spec.get("meta", {}),
                               expectations=[_expectation(e) for e in spec["expectations"]])


def _expectation(spec: dict):
    """Build an expectation object from its JSON form ({"type": ..., "kwargs": {...}, "meta": {...}})."""
    from great_expectations.expectations.registry import get_expectation_impl

    cls = get_expectation_impl(spec["type"])
    return cls(**spec.get("kwargs", {}), meta=spec.get("meta") or None)


def _current_check() -> tuple[str | None, str | None]:
    """The asset the running Dagster asset check gates and the run's id; (None, None) outside a check."""
    try:
        context = dg.AssetCheckExecutionContext.get()
    except dg.DagsterInvariantViolationError:
        return None, None
    keys = list(context.selected_asset_check_keys)
    return (keys[0].asset_key.to_user_string() if len(keys) == 1 else None), context.run.run_id


def _context(site: Path):
    """An ephemeral GE context whose validation results live in the Data Docs folder (every run's)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(),
                               progress_bars=ProgressBarsConfig(globally=False), analytics_enabled=False)
    config.stores[config.validation_results_store_name]["store_backend"] = {
        "class_name": "TupleFilesystemStoreBackend", "base_directory": str(site / RESULTS_FOLDER)}
    # views whose templates are compiled once per process (gx_views.py), not once per gate
    config.data_docs_sites = {SITE_NAME: {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "view": INDEX_VIEW},
        "site_section_builders": {"profiling": "None", "expectations": {"view": PAGE_VIEW},
                                  "validations": {"view": PAGE_VIEW}},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site)},
    }}
    return gx.get_context(mode="ephemeral", project_config=config)


def _page(identifier) -> str:
    """The site path of a validation result's or a suite's page (as GE's HtmlSiteStore names them)."""
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    folder = "expectations" if isinstance(identifier, ExpectationSuiteIdentifier) else "validations"
    return f"{folder}/{'/'.join(identifier.to_tuple())}.html"


def _build_data_docs(ctx, site: Path, key, suite_name: str) -> None:
    """Render this validation's page, its suite's, any suite page not built yet and the index, then make them
    load only local files."""
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    suites = [ExpectationSuiteIdentifier(name=s.name) for s in ctx.suites.all()]
    suites = [s for s in suites if s.name == suite_name or not (site / _page(s)).exists()]
    ctx.build_data_docs(site_names=[SITE_NAME], resource_identifiers=[key, *suites])
    copy_static_files(site)
    for page in ["index.html", _page(key), *map(_page, suites)]:
        path = site / page
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            local = localize_page(text, site_prefix(site, path))
            if local != text:
                write_text_atomic(path, local)


def copy_static_files(site: Path) -> None:
    """Copy expectations/data_docs_static/ (the libraries and their licenses) into the site's static/vendor/."""
    for source in DATA_DOCS_STATIC_DIR.rglob("*"):
        target = site / VENDOR / source.relative_to(DATA_DOCS_STATIC_DIR)
        if source.is_file() and not (target.is_file() and filecmp.cmp(source, target)):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def site_prefix(site: Path, page: Path) -> str:
    """The relative path from a page to the site's root: "" for index.html, "../" for a suite page, ..."""
    depth = len(page.relative_to(site).parts) - 1
    return "../" * depth


def localize_page(html: str, prefix: str) -> str:
    """A Data Docs page that loads the shipped copies instead of CDN files (`prefix`: page -> site root)."""
    html = _STATIC_LINK.sub(lambda m: m.group(1) + prefix + "static/", html)
    html = _CDN_URL.sub(lambda m: m.group(1) + prefix + SITE_FILES[m.group(2)], html)
    return _SRI.sub("", html)


@contextlib.contextmanager
def _site_lock(site: Path):
    """One process at a time builds the site (the multiprocess executor runs checks in parallel)."""
    site.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    with open(site / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
    return {"success": bool(result.success), "statistics": dict(result.statistics), "failed": failed,
            "data_docs_page": result.meta.get("data_docs_page")}
