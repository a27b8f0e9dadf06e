"""The project's license: Apache-2.0, in LICENSE and in the package metadata; GPL code is never vendored."""

import tomllib

from orchestration.lib.core import REPO_ROOT


def test_license_file_is_apache_2_and_matches_the_metadata():
    text = (REPO_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] in ({"text": "Apache-2.0"}, "Apache-2.0")


def test_gpl_dependency_is_installed_not_vendored():
    # gender-guesser is GPLv3: a runtime dependency from PyPI (docs/enrichment.md), never copied into the tree
    vendored = [p for p in (REPO_ROOT / "orchestration").rglob("*") if "gender_guesser" in p.name
                or (p.suffix == ".py" and "GNU General Public License" in p.read_text(encoding="utf-8"))]
    assert vendored == []
    assert "gender-guesser` is GPLv3" in (REPO_ROOT / "docs" / "enrichment.md").read_text(encoding="utf-8")
