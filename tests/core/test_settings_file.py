"""The shipped microseg.yml: its comments point at documentation that exists."""

import re

from orchestration.lib.core import REPO_ROOT

DOC_REF = re.compile(r"([\w./-]+\.md)(?:#([\w-]+))?")          # docs/identity.md, docs/x.md#section


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, blanks to hyphens."""
    headings = re.findall(r"^#+\s+(.*?)\s*$", re.sub(r"```.*?```", "", markdown, flags=re.S), re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_microseg_yml_comments_point_at_existing_docs():
    comments = [line.partition("#")[2] for line in (REPO_ROOT / "microseg.yml").read_text().splitlines()
                if "#" in line]
    refs = [m for c in comments for m in DOC_REF.finditer(c)]
    assert refs, "microseg.yml points at no documentation"
    for ref in refs:
        path = (REPO_ROOT / ref.group(1)).resolve()
        assert path.is_file() and path.is_relative_to(REPO_ROOT), f"microseg.yml: {ref.group(0)} is not in the repo"
        if ref.group(2):
            assert ref.group(2) in _anchors(path.read_text()), f"microseg.yml: {ref.group(0)}: no such section"
    # a README section by name ("see README \"...\"") must be a heading of the README
    readme = _anchors((REPO_ROOT / "README.md").read_text())
    for c in comments:
        for section in re.findall(r'README\s+"([^"]+)"', c):
            assert _anchors(f"# {section}") <= readme, f"microseg.yml: README has no section {section!r}"
