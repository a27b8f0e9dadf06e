"""The parsed form of a segment: `Segment` and its condition tree (what the parser builds from the YAML
and the compiler turns into SQL). Values are already converted to their types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Mapping, Union

from orchestration.lib.segments.dsl.schema import Attribute


@dataclass(frozen=True)
class Comparison:
    op: str            # one of parser.OPERATORS (count/aggregate: `eq` is stored as `equals`)
    value: Any         # converted to `type`; a list for in / not_in / between; a bool for is_null
    type: str          # what the value is compared as (schema.TYPES, or "count")


@dataclass(frozen=True)
class Field:
    """An event field: a typed column, or a key of the JSON `properties` (column None)."""
    key: str           # as written in the YAML (`price`, `product.is_new_arrival`, `coupon`)
    column: str | None
    type: str


@dataclass(frozen=True)
class PropertyFilter:
    field: Field
    comparisons: tuple[Comparison, ...]


@dataclass(frozen=True)
class AllOf:
    conditions: tuple


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple


@dataclass(frozen=True)
class Not:
    condition: Any


@dataclass(frozen=True)
class AttributeCondition:
    attribute: str
    spec: Attribute
    comparisons: tuple[Comparison, ...]
    provenance: tuple[str, ...] | None = None
    min_confidence: float | None = None


@dataclass(frozen=True)
class ScoreCondition:
    score: str                       # the score column, or the category for affinity
    comparisons: tuple[Comparison, ...]
    affinity: bool = False


@dataclass(frozen=True)
class FollowUp:
    events: tuple[str, ...]
    within: timedelta
    where: tuple[PropertyFilter, ...] = ()


@dataclass(frozen=True)
class Aggregate:
    fn: str
    of: Field
    comparisons: tuple[Comparison, ...]


AT_LEAST_ONCE = (Comparison("gte", 1, "count"),)   # the default count of a performed condition


@dataclass(frozen=True)
class Performed:
    events: tuple[str, ...]
    where: tuple[PropertyFilter, ...] = ()
    within: timedelta | None = None
    between: tuple[datetime, datetime] | None = None
    count: tuple[Comparison, ...] = AT_LEAST_ONCE
    aggregate: Aggregate | None = None
    not_followed_by: FollowUp | None = None


@dataclass(frozen=True)
class InSegment:
    segment: str


Condition = Union[AllOf, AnyOf, Not, AttributeCondition, ScoreCondition, Performed, InSegment]


@dataclass(frozen=True)
class Segment:
    """A parsed, locally valid segment definition."""
    name: str
    rules: Condition
    description: str = ""
    owner: str | None = None
    tags: tuple[str, ...] = ()
    expect_nonempty: bool = False
    source: str = "<segment>"
    references: tuple[tuple[str, str], ...] = ()   # (segment named by in_segment, path of the reference)
    version: str = ""                              # hash of the definition: changes when the rules change
    doc: Mapping = field(default_factory=dict, compare=False, repr=False)

    @property
    def depends_on(self) -> tuple[str, ...]:
        """The segments this one names with in_segment (directly), in order, without repeats."""
        return tuple(dict.fromkeys(name for name, _ in self.references))
