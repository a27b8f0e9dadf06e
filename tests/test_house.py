"""The house rules (docs/ and the README's code map rely on them): one package per domain with its public API,
modules of a readable size, thin assets, lib/ free of Dagster."""

import ast
import importlib
import re

import pytest

from orchestration.lib.core import REPO_ROOT

LIB = REPO_ROOT / "orchestration" / "lib"
PACKAGES = sorted(p.name for p in LIB.iterdir() if (p / "__init__.py").is_file())
MAX_MODULE_LINES = 600
MAX_ASSET_LINES = 40
# modules that are data tables (names, places, reference values), not logic
DATA_TABLES = {"sample_data/geography.py", "sample_data/people.py", "sample_data/catalog.py",
               "sample_data/assortment.py"}


def python_files(folder):
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def test_domains_are_packages():
    assert set(PACKAGES) >= {"core", "ingest", "identity", "enrichment", "scoring", "segments", "sample_data"}
    assert not [p.name for p in LIB.glob("*.py") if p.name != "__init__.py"], "lib/ holds packages, not modules"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_resolves(package):
    module = importlib.import_module(f"orchestration.lib.{package}")
    for name in module.__all__:
        assert getattr(module, name) is not None, f"orchestration.lib.{package}.{name}"
        assert not (LIB / package / f"{name}.py").exists(), f"{package}.{name} is also a submodule name"


def test_outside_lib_only_the_public_apis_are_imported():
    deep = re.compile(r"^\s*from orchestration\.lib\.(\w+)\.(\w+)", re.M)
    offenders = []
    for path in python_files(REPO_ROOT / "orchestration") + python_files(REPO_ROOT / "benchmarks"):
        rel = path.relative_to(REPO_ROOT).as_posix()
        own = rel.split("/")[2] if rel.startswith("orchestration/lib/") else None
        for pkg, mod in deep.findall(path.read_text()):
            if pkg != own and not (pkg == "core" and rel.startswith("orchestration/lib/")):
                offenders.append(f"{rel}: orchestration.lib.{pkg}.{mod}")
    assert offenders == []


def test_no_module_is_over_the_limit():
    big = []
    for path in python_files(REPO_ROOT / "orchestration"):
        rel = path.relative_to(LIB).as_posix() if LIB in path.parents else str(path)
        lines = len(path.read_text().splitlines())
        if lines > MAX_MODULE_LINES and rel not in DATA_TABLES:
            big.append(f"{rel}: {lines}")
    assert big == []


def test_lib_has_no_dagster():
    users = [p.relative_to(REPO_ROOT).as_posix() for p in python_files(LIB)
             if re.search(r"^\s*(import dagster|from dagster)", p.read_text(), re.M)]
    assert users == []


def test_assets_and_checks_are_thin():
    long = []
    for folder in ("assets", "checks"):
        for path in python_files(REPO_ROOT / "orchestration" / folder):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef):
                    body = node.body[1:] if ast.get_docstring(node) else node.body
                    if body:
                        lines = body[-1].end_lineno - body[0].lineno + 1
                        if lines > MAX_ASSET_LINES and not any(isinstance(n, ast.FunctionDef) for n in body):
                            long.append(f"{path.name}:{node.name} {lines} lines")
    assert long == []


def test_only_the_settings_loader_reads_the_environment():
    # secrets (the enrichment API key) are read by the Dagster resource, never in lib/; the failpoints read
    # MICROSEG_FAILPOINT, a switch of the tests of killed runs (no setting, no secret)
    readers = sorted({p.relative_to(LIB).as_posix() for p in python_files(LIB)
                      if re.search(r"os\.environ|getenv", p.read_text())})
    assert readers == ["core/failpoints.py", "core/settings.py"]
