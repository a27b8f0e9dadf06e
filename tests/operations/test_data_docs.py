"""GE Data Docs keep every validation of every run, named by the gated asset, and open styled offline: every
script, stylesheet, font and image a page loads is a file of the site, shipped in expectations/data_docs_static/.

Regression: the ephemeral GE context kept only the last suite's page ("Data asset: None"), and the pages
loaded Bootstrap, jQuery, bootstrap-table, Vega and Font Awesome from CDNs (unstyled, empty tables offline).
"""

from __future__ import annotations

import ast
import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import dagster as dg
import duckdb
import great_expectations
import pandas as pd
import pytest

from orchestration.checks.gates import CONTACTS_FRAME_SQL, gate_result, query_gate_result
from orchestration.constants import SUITES_DIR
from orchestration.resources.expectations import (
    DATA_DOCS_STATIC_DIR,
    SITE_FILES,
    VENDOR,
    GreatExpectationsResource,
    localize_page,
)

GE_VIEW = Path(great_expectations.__file__).parent / "render" / "view"
CONTACTS = pd.DataFrame({"contact_id": ["c1", "c2"], "email_opt_in": [True, None], "email": ["a@x.io", "b@y.io"],
                         "email_is_trimmed": [True, True], "email_is_lower_case": [True, True]})
SEGMENT = pd.DataFrame({"size_change_within_limit": [True], "nonempty_if_expected": [True],
                        "no_suppressed_reachable": [True]})
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)       # http://, https://, protocol-relative //
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)|@import\s+['\"]([^'\"]+)['\"]")


# --------------------------------------------------------------------------- a real site: two runs of gates

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Run 1 validates two gated assets (two suites: one as SQL in a DuckDB warehouse, one on a frame); run 2
    validates the first again, failing."""
    folder = tmp_path_factory.mktemp("reports") / "data_docs"
    gx = GreatExpectationsResource(suites_dir=str(SUITES_DIR), data_docs_dir=str(folder))
    warehouse = duckdb.connect(str(folder.parent / "warehouse.duckdb"))
    warehouse.execute("create schema gates")
    warehouse.execute("create table gates.gate_stg_crm__contacts as select * from CONTACTS")

    @dg.asset(name="stg_crm__contacts")
    def contacts():
        return None

    @dg.asset(key=["segments", "active_buyers"])
    def active_buyers():
        return None

    @dg.asset_check(asset=contacts, name="ge_stg_crm__contacts_critical", blocking=True)
    def contacts_gate(gx: GreatExpectationsResource):
        return query_gate_result(gx, "stg_crm__contacts__critical", warehouse, CONTACTS_FRAME_SQL, {})

    @dg.asset_check(asset=active_buyers, name="ge_segment_activation", blocking=True)
    def segment_gate(gx: GreatExpectationsResource):
        return gate_result(gx, "segment__activation", SEGMENT, {})

    instance = dg.DagsterInstance.ephemeral()
    first = dg.materialize([contacts, active_buyers, contacts_gate, segment_gate], resources={"gx": gx},
                           instance=instance)
    warehouse.execute("update gates.gate_stg_crm__contacts set contact_id = 'c1'")   # duplicated ids: it fails
    second = dg.materialize([contacts, contacts_gate], resources={"gx": gx}, instance=instance,
                            raise_on_error=False)
    warehouse.close()
    return folder, first, second


def index_rows(folder: Path) -> tuple[list[dict], list[dict]]:
    """(the validation rows, the suite rows) of the index's two tables."""
    tables = [ast.literal_eval(m.group(1)) for m in
              re.finditer(r"^\s*data: (\[.*\]),?\s*$", (folder / "index.html").read_text(), re.M)]
    validations = [t for t in tables if t and "run_name" in t[0]]
    suites = [t for t in tables if t and "run_name" not in t[0]]
    return (validations[0] if validations else []), (suites[0] if suites else [])


@pytest.mark.slow
def test_the_index_lists_every_validation_of_every_run_with_suite_and_asset(site):
    folder, first, second = site
    validations, suites = index_rows(folder)
    listed = sorted((r["run_name"], r["asset_name"], r["_expectation_suite_name_sort"], r["_validation_success_text"])
                    for r in validations)
    assert listed == sorted([
        (first.run_id, "stg_crm__contacts", "stg_crm__contacts__critical", "Success"),
        (first.run_id, "segments/active_buyers", "segment__activation", "Success"),
        (second.run_id, "stg_crm__contacts", "stg_crm__contacts__critical", "Failed"),
    ])
    for row in validations:
        page = folder / row["_table_row_link_path"]
        assert page.is_file(), row["_table_row_link_path"]
        assert f"Data asset: {row['asset_name']}<" in page.read_text()
    # every committed suite is listed, with its page
    assert sorted(r["expectation_suite_name"] for r in suites) == sorted(p.stem for p in SUITES_DIR.glob("*.json"))
    assert all((folder / r["_table_row_link_path"]).is_file() for r in suites)


@pytest.mark.slow
def test_each_gate_links_its_own_page(site):
    folder, first, second = site
    evaluations = first.get_asset_check_evaluations() + second.get_asset_check_evaluations()
    assert [e.passed for e in evaluations].count(False) == 1
    for evaluation in evaluations:
        page = Path(evaluation.metadata["data_docs_page"].value)
        assert page.is_file() and folder.resolve() in page.resolve().parents
        assert Path(evaluation.metadata["data_docs"].value).resolve() == (folder / "index.html").resolve()


class _References(HTMLParser):
    """What a page loads (scripts, stylesheets, images, icons, inline CSS urls) and where its links go."""

    def __init__(self):
        super().__init__()
        self.loads, self.links, self._style = [], [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.loads.append(a["src"])
        elif tag == "link" and a.get("href"):
            self.loads.append(a["href"])
        elif tag in ("img", "source", "iframe", "embed") and a.get("src"):
            self.loads.append(a["src"])
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if a.get("style"):
            self.loads += [u or i for u, i in CSS_URL.findall(a["style"])]
        self._style = tag == "style"

    def handle_endtag(self, tag):
        self._style = False

    def handle_data(self, data):
        if self._style:
            self.loads += [u or i for u, i in CSS_URL.findall(data)]


def references(page: Path) -> _References:
    parser = _References()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def local(ref: str) -> str:
    return ref.split("#")[0].split("?")[0]


@pytest.mark.slow
def test_no_page_loads_anything_from_the_network(site):
    folder = site[0]
    pages = sorted(folder.rglob("*.html"))
    assert len(pages) >= 1 + 3 + 5                      # the index, three validations, five suites
    external = [f"{p.relative_to(folder)}: {ref}" for p in pages for ref in references(p).loads
                if EXTERNAL.match(ref)]
    assert external == []
    stylesheets = {(p.parent / local(ref)).resolve() for p in pages for ref in references(p).loads
                   if local(ref).endswith(".css")}
    external = [f"{css.name}: {u or i}" for css in stylesheets
                for u, i in CSS_URL.findall(css.read_text(encoding="utf-8")) if EXTERNAL.match(u or i)]
    assert external == []


@pytest.mark.slow
def test_every_file_a_page_references_exists(site):
    folder = site[0]
    missing, checked = [], set()
    for page in sorted(folder.rglob("*.html")):
        refs = references(page)
        for ref in refs.loads + refs.links:
            if EXTERNAL.match(ref) or ref.startswith(("#", "data:", "mailto:", "javascript:")) or not local(ref):
                continue
            target = (page.parent / local(ref)).resolve()
            checked.add(target)
            if not target.is_file():
                missing.append(f"{page.relative_to(folder)}: {ref}")
    # and what the stylesheets load (Font Awesome's webfonts)
    for css in [t for t in checked if t.suffix == ".css" and t.is_file()]:
        for u, i in CSS_URL.findall(css.read_text(encoding="utf-8")):
            ref = u or i
            if not (EXTERNAL.match(ref) or ref.startswith("data:")) and not (css.parent / local(ref)).is_file():
                missing.append(f"{css.name}: {ref}")
    assert missing == []
    assert folder / "static" / "vendor" / "jquery-3.7.1" / "dist" / "jquery.min.js" in checked


# ------------------------------------------------------------------------ the shipped files (fast, no GE run)

def template_urls() -> set[str]:
    """Every external URL GE's page templates and their inlined default styles load."""
    urls = set()
    for path in [*(GE_VIEW / "templates").glob("*.j2"), GE_VIEW / "static" / "styles" / "data_docs_default_styles.css"]:
        text = path.read_text(encoding="utf-8")
        urls |= set(re.findall(r"<(?:script|link)\b[^>]*?\b(?:src|href)=\"(https?://[^\"]+)\"", text))
        urls |= {u for u, _ in CSS_URL.findall(text) if EXTERNAL.match(u)}
        for prefix in re.findall(r"static_images_dir = \"(https?://[^\"]+)\"", text):   # + an image name
            urls |= {prefix + name for name in re.findall(r"static_images_dir \+ \"([^\"]+)\"", text)}
    return urls


def test_every_external_file_of_ge_templates_has_a_local_copy():
    urls = template_urls()
    assert len(urls) >= 17                            # the regexes still find them
    assert sorted(urls - set(SITE_FILES)) == []


def test_the_shipped_files_exist_with_their_licenses():
    folders = sorted(p for p in DATA_DOCS_STATIC_DIR.iterdir() if p.is_dir())
    for target in SITE_FILES.values():
        if target.startswith(VENDOR + "/"):
            assert (DATA_DOCS_STATIC_DIR / target.removeprefix(VENDOR + "/")).is_file(), target
        else:                                          # GE's own images, copied by its site builder
            assert (GE_VIEW / target).is_file(), target
    used = {t.removeprefix(VENDOR + "/").split("/")[0] for t in SITE_FILES.values() if t.startswith(VENDOR)}
    assert used == {p.name for p in folders}
    readme = (DATA_DOCS_STATIC_DIR / "README.md").read_text(encoding="utf-8")
    for folder in folders:
        assert list(folder.glob("LICENSE*")), f"{folder.name} has no LICENSE file"
        assert f"`{folder.name}/`" in readme, f"README.md does not say where {folder.name} comes from"


def test_the_shipped_scripts_are_the_ones_ge_pins_by_hash():
    text = (GE_VIEW / "templates" / "js_script_imports.j2").read_text(encoding="utf-8")
    pinned = re.findall(r"src=\"(https?://[^\"]+)\" integrity=\"sha384-([^\"]+)\"", text)
    assert len(pinned) == 2
    for url, digest in pinned:
        path = DATA_DOCS_STATIC_DIR / SITE_FILES[url].removeprefix(VENDOR + "/")
        assert base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode() == digest, url


def test_localize_page_points_a_nested_page_at_the_site_root():
    page = ('<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
            '<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" '
            'integrity="sha384-x" crossorigin="anonymous"></script>'
            '<link rel="shortcut icon" href="../../../static/images/favicon.ico"/>'
            '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1"/>')
    assert localize_page(page, "../../../../") == (
        '<script src="../../../../static/vendor/jquery-3.7.1/dist/jquery.min.js"></script>'
        '<script src="../../../../static/vendor/bootstrap-4.3.1/dist/js/bootstrap.min.js"></script>'
        '<link rel="shortcut icon" href="../../../../static/images/favicon.ico"/>'
        '<img src="../../../../static/images/logo-long.png"/>')
    assert localize_page(localize_page(page, ""), "") == localize_page(page, "")
