"""README.md and docs/ stay true to the code: every quarantine reason the ingest code emits is documented,
every keyword the segment parser accepts is documented, every YAML example of docs/segments.md compiles and
runs with the real compiler (its fixtures pass), every relative link resolves, and nothing points outside
the repository. Fast: no dbt, no Dagster."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess

import duckdb
import pytest
import yaml

from orchestration.lib.core import REPO_ROOT
from orchestration.lib.segments import dsl

DOCS = REPO_ROOT / "docs"
CONTRACT_DOC = DOCS / "data-contract.md"
SEGMENTS_DOC = DOCS / "segments.md"
INGEST_DIR = REPO_ROOT / "orchestration" / "lib" / "ingest"
AS_OF = "2026-11-01T00:00:00Z"

_FENCE_RE = re.compile(r"^```[^\n]*\n.*?^```", re.MULTILINE | re.DOTALL)
_YAML_BLOCK_RE = re.compile(r"^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)
_LINK_RE = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _documented(keyword: str, text: str) -> bool:
    """The keyword appears as code: `keyword`, or a code span that starts with it (`keyword: ...`,
    `{keyword: ...}`)."""
    return re.search(r"`\{?" + re.escape(keyword) + r"(`|:)", text) is not None


def _dsl_name(name: str):
    """A table of the segment language, wherever the dsl package keeps it (exported or in a submodule)."""
    try:
        return getattr(dsl, name)
    except AttributeError:
        pass
    for info in pkgutil.iter_modules(getattr(dsl, "__path__", [])):
        module = importlib.import_module(f"{dsl.__name__}.{info.name}")
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"the segment language defines no {name}")


# ---------------------------------------------------------------------------------------- the data contract

def ingest_reasons() -> tuple[set[str], set[str]]:
    """(the reason codes the ingest code defines, the codes its SQL and raise sites actually emit)."""
    from orchestration.lib.ingest import contract

    defined = set(contract.EVENT_REASONS) | set(contract.RECORD_REASONS)
    source = "\n".join(p.read_text(encoding="utf-8") for p in sorted(INGEST_DIR.glob("*.py")))
    file_reasons = set(re.findall(r'InputFileError\(\s*[^,()]+,\s*"([a-z_]+)"', source))
    emitted = (set(re.findall(r"then '([a-z_]+)'", source))                        # SQL case ... then 'reason'
               | set(re.findall(r'rejected\.append\(\([^,]+,\s*"([a-z_]+)"', source))  # CSV parser rejects
               | file_reasons)
    return defined | file_reasons, emitted


def test_every_ingest_reason_is_defined_and_documented():
    defined, emitted = ingest_reasons()
    assert {"malformed_json", "missing_key", "empty_file", "missing_column"} <= defined   # the regexes still find them
    assert emitted <= defined, f"emitted but not in EVENT_REASONS / RECORD_REASONS: {sorted(emitted - defined)}"
    text = CONTRACT_DOC.read_text(encoding="utf-8")
    missing = sorted(r for r in defined if not _documented(r, text))
    assert not missing, f"{CONTRACT_DOC.name} does not document the reason code(s) {missing}"


def test_contract_doc_names_the_landing_folders_and_reconciliation():
    from orchestration.lib.ingest import contract

    text = CONTRACT_DOC.read_text(encoding="utf-8")
    for spec in contract.TABLES.values():
        assert f"{spec.folder}/{spec.prefix}*" in text, spec.name
        for column in spec.columns:
            assert _documented(column, text), f"{spec.name}.{column}"
    for suffix in (*contract.EVENT_SUFFIXES, *contract.TABLE_SUFFIXES):
        assert suffix in text
    assert "read = kept + quarantined + duplicates + erased" in text


# --------------------------------------------------------------------------------------- the segment language

def segment_keywords() -> dict[str, tuple[str, ...]]:
    from orchestration.lib.enrichment import PROVENANCES
    from orchestration.lib.segments import fixtures

    schema = dsl.DEFAULT_SCHEMA
    return {
        "top-level keys": _dsl_name("TOP_LEVEL_KEYS"),
        "blocks": _dsl_name("BLOCKS"),
        "operators": _dsl_name("OPERATORS"),
        "count operators": _dsl_name("COUNT_OPERATORS"),
        "aggregate functions": _dsl_name("AGGREGATE_FUNCTIONS"),
        "performed keys": _dsl_name("PERFORMED_KEYS"),
        "not_followed_by keys": _dsl_name("FOLLOW_UP_KEYS"),
        "attribute options": ("provenance", "min_confidence", *PROVENANCES),
        "event name forms": ("any_of",),
        "attributes": tuple(schema.attributes),
        "scores": tuple(schema.scores),
        "typed properties": tuple(schema.event_properties),
        "catalog columns": tuple(f"product.{c}" for c in schema.product_columns),
        "fixture keys": (*fixtures.FIXTURE_KEYS, *fixtures.CASE_KEYS, *fixtures.PERSON_KEYS, *fixtures.EVENT_KEYS),
    }


@pytest.mark.parametrize("kind", list(segment_keywords()))
def test_every_segment_keyword_is_documented(kind):
    text = SEGMENTS_DOC.read_text(encoding="utf-8")
    missing = [k for k in segment_keywords()[kind] if not _documented(k, text)]
    assert not missing, f"{SEGMENTS_DOC.name} does not document the {kind} {missing}"


def test_segment_durations_and_affinity_are_documented():
    text = SEGMENTS_DOC.read_text(encoding="utf-8")
    for unit in _dsl_name("DURATION_UNITS"):
        assert re.search(rf"`\d+{unit}`", text), f"no duration example in {unit!r}"
    assert f"`{_dsl_name('AFFINITY_PREFIX')}<Category>`" in text


def yaml_examples() -> list[tuple[str, object]]:
    text = SEGMENTS_DOC.read_text(encoding="utf-8")
    return [(f"{SEGMENTS_DOC.name}:yaml[{i}]", yaml.safe_load(block))
            for i, block in enumerate(_YAML_BLOCK_RE.findall(text))]


def _kind(doc) -> str:
    if isinstance(doc, dict) and "rules" in doc and "name" in doc:
        return "segment"
    if isinstance(doc, dict) and ("cases" in doc or "people" in doc):
        return "fixture"
    if isinstance(doc, dict) and set(doc) & set(_dsl_name("BLOCKS")):
        return "condition"
    return "unknown"


def _doc_catalog(tmp_path, schema):
    """The shipped segments plus every segment defined in docs/segments.md, validated together."""
    folder = tmp_path / "segments"
    folder.mkdir()
    for path in dsl.segment_files(REPO_ROOT / "segments"):
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    for i, (source, doc) in enumerate(yaml_examples()):
        if _kind(doc) == "segment" and not (folder / f"{doc['name']}.yml").exists():
            (folder / f"{doc['name']}.yml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        elif _kind(doc) == "condition":
            name = f"doc_example_{i}"
            (folder / f"{name}.yml").write_text(yaml.safe_dump({"name": name, "rules": doc}), encoding="utf-8")
    return dsl.load_catalog(folder, schema)


def test_segments_doc_has_yaml_examples_of_every_kind():
    kinds = [_kind(doc) for _, doc in yaml_examples()]
    assert "unknown" not in kinds, [s for (s, _), k in zip(yaml_examples(), kinds) if k == "unknown"]
    assert kinds.count("segment") >= 5 and "fixture" in kinds


def test_segments_doc_first_example_is_the_shipped_cart_abandoners():
    source, doc = yaml_examples()[0]
    shipped = yaml.safe_load((REPO_ROOT / "segments" / "cart_abandoners_electronics.yml").read_text(encoding="utf-8"))
    assert doc["name"] == shipped["name"] and doc["rules"] == shipped["rules"], source


@pytest.mark.parametrize("pipeline", [False, True], ids=["default_schema", "pipeline_schema"])
def test_segments_doc_examples_compile_and_run(tmp_path, pipeline):
    from orchestration.lib.segments import SCHEMA

    schema = SCHEMA if pipeline else dsl.DEFAULT_SCHEMA
    catalog = _doc_catalog(tmp_path, schema)
    assert not catalog.errors, [str(i) for i in catalog.errors]
    assert not catalog.warnings, [str(i) for i in catalog.warnings]
    con = duckdb.connect()
    if pipeline:
        con.execute("create schema segments")
    for ddl in dsl.evaluation_ddl(schema):
        con.execute(ddl)
    names = [doc["name"] for _, doc in yaml_examples() if _kind(doc) == "segment"]
    names += [r.name for r in catalog.results if r.name and r.name.startswith("doc_example_")]
    for name in names:
        assert catalog.compile(name).members(con, AS_OF) == [], name


def test_segments_doc_fixtures_pass(tmp_path):
    from orchestration.lib.segments.fixtures import parse_fixture, run_fixture

    catalog = _doc_catalog(tmp_path, dsl.DEFAULT_SCHEMA)
    fixtures = [(source, doc) for source, doc in yaml_examples() if _kind(doc) == "fixture"]
    assert fixtures
    for source, doc in fixtures:
        result = run_fixture(parse_fixture(doc, source, default_segment=doc.get("segment")), catalog)
        assert result.passed, result.report()


# ------------------------------------------------------------------------------------------------ links

def markdown_files():
    return [REPO_ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path) -> set[str]:
    text = _FENCE_RE.sub("", path.read_text(encoding="utf-8"))
    return {_slug(m) for m in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, re.MULTILINE)}


@pytest.mark.parametrize("md", markdown_files(), ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_relative_links_resolve(md):
    text = _FENCE_RE.sub("", md.read_text(encoding="utf-8"))
    broken = []
    for target in _LINK_RE.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):     # http:, https:, mailto:
            continue
        path, _, fragment = target.partition("#")
        resolved = (md.parent / path).resolve() if path else md
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif fragment and resolved.suffix == ".md" and fragment not in _anchors(resolved):
            broken.append(f"{target}: no heading #{fragment}")
        elif REPO_ROOT.resolve() not in (resolved, *resolved.parents):
            broken.append(f"{target}: outside the repository")
    assert not broken, f"{md.name}: " + "; ".join(broken)


# ---------------------------------------------------------------------- nothing points outside the repository

OUTSIDE = (".." + "/shared", "shared" + "/spec")    # split so that this file does not match itself


def repository_files():
    try:
        listed = subprocess.run(["git", "-C", str(REPO_ROOT), "ls-files"], capture_output=True, text=True,
                                check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):     # not a git checkout: every file but the tooling's
        listed = [p.relative_to(REPO_ROOT).as_posix() for p in REPO_ROOT.rglob("*") if p.is_file()
                  and not any(part.startswith(".") or part in ("data", "reports", "target", "logs")
                              for part in p.relative_to(REPO_ROOT).parts)]
    extra = [p.relative_to(REPO_ROOT).as_posix() for p in markdown_files()]   # docs not committed yet
    return sorted((set(listed) | set(extra)) - {"uv.lock"})


def test_no_file_points_outside_the_repository():
    offenders = []
    for rel in repository_files():
        path = REPO_ROOT / rel
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for i, line in enumerate(text.splitlines(), start=1):
            if any(needle in line for needle in OUTSIDE):
                offenders.append(f"{rel}:{i}: {line.strip()[:100]}")
    assert not offenders, "\n".join(offenders)
