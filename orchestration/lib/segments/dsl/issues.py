"""Problems found in segment files: the file, the path inside its YAML and what was expected, with a
"did you mean" for a misspelt name."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem in one file: `source: path: message` (path is the place inside the YAML)."""
    source: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.path}: {self.message}" if self.path else f"{self.source}: {self.message}"


class SegmentError(ValueError):
    """A segment (or set of segments) that cannot be used; `issues` lists every problem found."""

    def __init__(self, issues: list[Issue] | Issue):
        self.issues = [issues] if isinstance(issues, Issue) else list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


# the spellings of other query languages, for the "did you mean" of an unknown operator
OPERATOR_ALIASES = {"eq": "equals", "=": "equals", "==": "equals", "ne": "not_equals", "neq": "not_equals",
                    "!=": "not_equals", "nin": "not_in", "ge": "gte", ">=": "gte", "le": "lte", "<=": "lte",
                    ">": "gt", "<": "lt", "like": "contains", "startswith": "starts_with", "isnull": "is_null",
                    "null": "is_null"}


def did_you_mean(word, choices) -> str:
    """` (did you mean 'x'?)` with the choice an operator alias spells or the closest choice; '' if none is
    close."""
    choices = [str(c) for c in choices]
    alias = OPERATOR_ALIASES.get(str(word).lower())
    if alias in choices:
        return f" (did you mean {alias!r}?)"
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
