"""Reading YAML files with errors that name the file (and, for a parse error, the line and column).

Every YAML file the project reads (microseg.yml, scoring.yml, the match configuration, segment
definitions and their fixtures) goes through `load_yaml` / `load_yaml_mapping`; YAML text that does
not come from a file (a segment held in memory, a file at a git revision) through `parse_yaml`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class YamlFileError(ValueError):
    """A YAML file that cannot be used: `str()` is `<source>: <reason>`; `line` and `column` (1-based)
    locate a parse error."""

    def __init__(self, source: str, reason: str, line: int | None = None, column: int | None = None):
        self.source = source
        self.reason = reason
        self.line = line
        self.column = column
        super().__init__(f"{source}: {reason}")


def parse_yaml(text: str | bytes, source: str = "<yaml>") -> Any:
    """The document of YAML `text` (None when empty); YamlFileError
    `<source>: not valid YAML at line L, column C: <problem> (<context>)` otherwise."""
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or type(exc).__name__
        if exc.problem and exc.context:
            problem = f"{exc.problem} ({exc.context})"
        if mark is None:
            raise YamlFileError(source, f"not valid YAML: {problem}") from exc
        line, column = mark.line + 1, mark.column + 1
        raise YamlFileError(source, f"not valid YAML at line {line}, column {column}: {problem}", line,
                            column) from exc
    except yaml.YAMLError as exc:
        raise YamlFileError(source, f"not valid YAML: {exc}") from exc


def load_yaml(path: str | Path) -> Any:
    """The document of a YAML file (None when empty); YamlFileError `<path>: no such file`,
    `<path>: cannot read the file: ...` or `<path>: not valid YAML at line L, column C: ...`."""
    path = Path(path)
    if not path.is_file():
        raise YamlFileError(str(path), "no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlFileError(str(path), f"cannot read the file: {exc}") from exc
    return parse_yaml(text, str(path))


def load_yaml_mapping(path: str | Path, expected: str = "a mapping") -> dict:
    """A YAML file whose document is a mapping (an empty file is {}); besides the errors of `load_yaml`,
    YamlFileError `<path>: expected <expected>, got list` when the document is not a mapping."""
    doc = load_yaml(path)
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise YamlFileError(str(path), f"expected {expected}, got {type(doc).__name__}")
    return doc
