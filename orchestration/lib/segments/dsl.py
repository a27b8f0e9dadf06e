"""The segment language: YAML definitions, validated at load time, compiled to one DuckDB query each.

A segment is one YAML file in `segments/` (the contract is `spec/SEGMENTS.md`); its members are the
people for whom `rules` is true at one `as_of` instant::

    name: cart_abandoners_electronics      # unique, snake_case: the asset name
    description: Added Electronics to a cart in the last 7 days, no order within 24h of it, and
      viewed Electronics at least twice in 30 days.
    owner: lifecycle-team                  # optional
    tags: [cart, electronics]              # optional
    expect_nonempty: true                  # optional: an empty segment fails the activation gate
    rules:
      all:
        - performed: Product Added
          where: {category: Electronics}
          within: 7d
          not_followed_by: {event: Order Completed, within: 24h}
        - performed: Product Viewed
          where: {category: Electronics}
          count: {gte: 2}
          within: 30d

Conditions (nest them to any depth)

- ``all: [..]``, ``any: [..]``, ``not: {..}``: and, or, not.
- ``attribute: F`` + operator(s): a profile attribute (``gender``, ``age``, ``city_type``, ...).
  ``provenance: [declared, third_party, reference, inferred]`` and ``min_confidence: 0.8`` restrict
  which values count; a value that is not accepted counts as missing.
- ``score: S`` + operator(s): a behavior score or tier (``engagement``, ``tier``, ``rfm_monetary``);
  ``affinity.<Category>`` (e.g. ``affinity.Electronics``) is the person's score for that category.
- ``performed: E`` (or ``performed: {any_of: [E1, E2]}``): events with that name, optionally with
  ``where: {prop: value}`` or ``where: {prop: {operator: value}}`` (``product.<column>`` reads the
  catalog, e.g. ``product.is_new_arrival: true``), ``within: D`` (``as_of - D < t <= as_of``; D is
  ``30m``, ``24h``, ``7d`` or ``2w``) or ``between: [t1, t2]`` (``t1 <= t < t2``), ``count: {gte: 2}``
  (default ``{gte: 1}``; ``{eq: 0}`` is "did not"), ``aggregate: {fn: sum|avg|min|max, of: prop,
  gte: 500}`` and ``not_followed_by: {event: E2, within: D2, where: ..}``: an occurrence at t counts
  only if no E2 follows in ``(t, t + D2]`` and ``t + D2 <= as_of`` (the grace period is over).
  Without a window, every event up to ``as_of`` counts; events after ``as_of`` never count.
- ``in_segment: other``: a member of segment ``other`` at the same ``as_of`` (cycles are an error).

Operators: ``equals``, ``not_equals``, ``in``, ``not_in``, ``gt``, ``gte``, ``lt``, ``lte``,
``between: [low, high]`` (both ends included), ``contains``, ``starts_with``, ``is_null: true|false``.
Several operators in one condition must all hold (``{attribute: age, gte: 25, lt: 36}``).
``count`` and ``aggregate`` take ``eq`` (same as ``equals``), ``not_equals``, ``gt``, ``gte``,
``lt``, ``lte`` and ``between``.

Logic is two-valued: a condition on a missing value is false (``not_equals`` and ``not_in``
included), except ``is_null: true``; ``not`` turns false into true, so
``not: {attribute: gender, equals: female}`` includes unknown gender while
``{attribute: gender, not_equals: female}`` does not. Comparisons are exact and case-sensitive,
except ``email`` (compared lower-cased). YAML reads unquoted ``yes``/``no``/``on``/``off`` as booleans
and ``10115`` as a number: quote such text values (``country: 'NO'``, ``postal_code: '10115'``).

Decisions beyond the spec (documented here because users meet them)

- ``count`` defaults to ``{gte: 1}`` also when an ``aggregate`` is given: ``performed`` means "did it"
  unless ``count`` says otherwise. ``sum`` over no matching events is 0; ``avg``/``min``/``max`` over
  none are missing (so their condition is false).
- ``count`` counts distinct ``message_id`` (a redelivery counts once); an aggregate reads each
  message once too.
- ``age`` is computed from ``birth_date`` at ``as_of`` (full years; born on 29 February: a year older
  on 1 March); its provenance and confidence are those of ``birth_date``.
- ``in_segment`` compiles the other segment into the same query (a CTE, dependencies first), so a
  chain of segments is always evaluated at one ``as_of`` from the same data.
- A property that is not a typed column of the events relation is read from the event's JSON
  ``properties`` and compared as the YAML value's type (a number reads the property as a number).
- ``gender``, ``age_band``, ``city``, ``country``, ``city_type``, ``email_domain_type`` (and the other
  attributes of profiles_enriched) are declared in the default schema as enriched attributes
  (with ``<attr>__provenance`` and ``<attr>__confidence`` columns), so segments using them validate
  on their own; a value enrichment did not find is NULL (missing).

Evaluation schema (relation names configurable in `Schema`; `evaluation_ddl` prints the columns)

- ``seg_profiles``: one row per person: ``person_id`` + one column per attribute (+ ``<attr>__provenance``
  and ``<attr>__confidence`` for enriched ones). Every person is evaluated, reachable or not.
- ``seg_events``: one row per event attributed to a person: ``message_id``, ``person_id``,
  ``event_name``, ``event_type``, ``occurred_at`` (UTC), ``properties`` (JSON text), the typed property
  columns and the ``product_*`` catalog columns.
- ``seg_scores``: one row per person, one column per score; ``seg_affinity(person_id, category, affinity)``.

User values never enter the SQL text: they are DuckDB parameters (``$p1``, ... and ``$as_of``);
identifiers come from the schema only and are quoted.

Errors name the file, the path inside it and what was expected, e.g.
``segments/x.yml: rules.all[1].where.price: property type mismatch: price is a number, got 'cheap'``;
all errors of a file are reported at once (`validate_segments`, `validate_dir`). Warnings do not stop a
segment: an event name that is not a known one (``Product Vieweed``), a value outside a known list
(``gender: Female``, ``tier: potential_buyers``), a name that differs from the file name.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Mapping, Union

import yaml

from orchestration.lib.core import to_utc
from orchestration.lib.enrichment import ATTRIBUTES as ENRICHED_ATTRIBUTES
from orchestration.lib.enrichment import KNOWN_VALUES, PROVENANCES

TYPES = ("string", "number", "integer", "boolean", "date", "timestamp")
BLOCKS = ("all", "any", "not", "attribute", "score", "performed", "in_segment")
OPERATORS = ("equals", "not_equals", "in", "not_in", "gt", "gte", "lt", "lte", "between",
             "contains", "starts_with", "is_null")
COUNT_OPERATORS = ("eq", "equals", "not_equals", "gt", "gte", "lt", "lte", "between")
AGGREGATE_FUNCTIONS = ("sum", "avg", "min", "max")
TOP_LEVEL_KEYS = ("name", "description", "owner", "tags", "expect_nonempty", "rules")
PERFORMED_KEYS = ("performed", "where", "within", "between", "count", "aggregate", "not_followed_by")
FOLLOW_UP_KEYS = ("event", "within", "where")
DURATION_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
AFFINITY_PREFIX = "affinity."

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_PROPERTY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DURATION_RE = re.compile(r"^(\d+)([mhdw])$")
_SQL_TYPES = {"string": "varchar", "number": "double", "integer": "integer", "boolean": "boolean",
              "date": "date", "timestamp": "timestamp"}
# comparison parameters: integers compare as double (age >= 25.5 is fine); counts as bigint
_PARAM_TYPES = {**_SQL_TYPES, "integer": "double", "count": "bigint"}
_SQL_OPERATORS = {"equals": "=", "not_equals": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


# ---------------------------------------------------------------------------------------------- errors

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


# ---------------------------------------------------------------------------------------------- schema

@dataclass(frozen=True)
class Attribute:
    """A profile attribute: its type; whether `seg_profiles` carries `<name>__provenance` /
    `<name>__confidence` (enriched attributes; otherwise provenance is 'declared' and confidence 1);
    whether it is compared lower-cased (email)."""
    type: str
    has_provenance: bool = False
    has_confidence: bool = False
    case_insensitive: bool = False

    @property
    def enriched(self) -> bool:
        return self.has_provenance or self.has_confidence


def enriched(type_: str) -> Attribute:
    """An attribute filled by enrichment, with provenance and confidence columns."""
    return Attribute(type_, has_provenance=True, has_confidence=True)


@dataclass(frozen=True)
class Property:
    """An event property with a typed column in the events relation."""
    column: str
    type: str


@dataclass(frozen=True, eq=False)
class Schema:
    """What the compiled SQL reads: relation names and the known attributes, scores and properties.

    `attributes` name -> Attribute; `scores` name -> type (plus `affinity.<Category>`, always a
    number, from the affinity relation); `event_properties` YAML property name -> typed column (other
    properties are read from the JSON `properties`); `product_columns` `product.<key>` -> column;
    `event_names` are known names and `attribute_values` / `score_values` the known values of
    enumerated text fields (gender, tier): an unknown one is a warning, not an error (comparisons are
    case-sensitive, so `Female` is most likely a typo). `age` is derived from `birth_date`."""
    attributes: Mapping[str, Attribute]
    scores: Mapping[str, str]
    event_properties: Mapping[str, Property]
    product_columns: Mapping[str, Property]
    event_names: frozenset = frozenset()
    attribute_values: Mapping[str, tuple] = field(default_factory=dict)
    score_values: Mapping[str, tuple] = field(default_factory=dict)
    profiles: str = "seg_profiles"
    events: str = "seg_events"
    score_table: str = "seg_scores"
    affinity: str = "seg_affinity"
    # True when the relations guarantee one row per message_id (events) and per person_id (profiles),
    # as the pipeline's blocking dbt tests do: the compiled SQL then skips the re-deduplication
    deduplicated: bool = False

    def extend(self, attributes: Mapping[str, Attribute] | None = None, scores: Mapping[str, str] | None = None,
               event_properties: Mapping[str, Property] | None = None,
               product_columns: Mapping[str, Property] | None = None, event_names=(),
               attribute_values: Mapping[str, tuple] | None = None, score_values: Mapping[str, tuple] | None = None,
               **relations) -> Schema:
        """A copy with more (or redefined) attributes, scores, properties, event names, known values or
        relation names (profiles=, events=, score_table=, affinity=)."""
        return replace(self, attributes={**self.attributes, **(attributes or {})},
                       scores={**self.scores, **(scores or {})},
                       event_properties={**self.event_properties, **(event_properties or {})},
                       product_columns={**self.product_columns, **(product_columns or {})},
                       event_names=self.event_names | frozenset(event_names),
                       attribute_values={**self.attribute_values, **(attribute_values or {})},
                       score_values={**self.score_values, **(score_values or {})}, **relations)

    @classmethod
    def from_connection(cls, con, base: Schema | None = None) -> Schema:
        """The schema of the relations as they exist on a DuckDB connection (relation names from `base`).

        Attributes and scores are the columns present (types from `base` when it knows the name, else
        from DuckDB); provenance/confidence flags follow the `__provenance`/`__confidence` columns that
        exist; a typed event property or catalog column the events relation lacks is dropped (a property
        then reads the JSON). A base attribute without a column is dropped, so using it is reported as
        unknown instead of failing in SQL."""
        base = base or DEFAULT_SCHEMA

        def columns(relation: str) -> dict[str, str]:
            rows = con.execute(f"describe select * from {_relation(relation)}").fetchall()
            return {r[0]: _type_of_duckdb(r[1]) for r in rows}

        prof = columns(base.profiles)
        attributes = {}
        for col, typ in prof.items():
            if col == "person_id" or col.endswith(("__provenance", "__confidence")) or col == "age":
                continue
            known = base.attributes.get(col)
            attributes[col] = Attribute(known.type if known else typ, f"{col}__provenance" in prof,
                                        f"{col}__confidence" in prof, known.case_insensitive if known else False)
        if "birth_date" in attributes:
            attributes["age"] = Attribute("integer", attributes["birth_date"].has_provenance,
                                          attributes["birth_date"].has_confidence)
        sc = columns(base.score_table)
        scores = {c: base.scores.get(c, t) for c, t in sc.items() if c != "person_id"}
        ev = columns(base.events)
        props = {k: p for k, p in base.event_properties.items() if p.column in ev}
        products = {k: p for k, p in base.product_columns.items() if p.column in ev}
        return replace(base, attributes=attributes, scores=scores, event_properties=props, product_columns=products)


def _type_of_duckdb(duck_type: str) -> str:
    t = duck_type.upper()
    if t == "BOOLEAN":
        return "boolean"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"):
        return "integer"
    if t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL"):
        return "number"
    return "string"


DEFAULT_SCHEMA = Schema(
    attributes={
        "email": Attribute("string", case_insensitive=True),
        "first_name": Attribute("string"), "last_name": Attribute("string"), "phone": Attribute("string"),
        "birth_date": Attribute("date"), "age": Attribute("integer"), "postal_code": Attribute("string"),
        "email_opt_in": Attribute("boolean"), "created_at": Attribute("timestamp"),
        "first_seen_at": Attribute("timestamp"), "last_seen_at": Attribute("timestamp"),
        # attributes enrichment can fill (profiles_enriched; dbt macro enriched_attributes): the declared value
        # when there is one, else third-party, reference or inferred, with provenance and confidence
        **{name: enriched("integer" if name == "city_population" else "string") for name in ENRICHED_ATTRIBUTES},
    },
    scores={"engagement": "number", "intent": "number", "rfm_recency": "number", "rfm_frequency": "number",
            "rfm_monetary": "number", "rfm_code": "string", "tier": "string", "top_category": "string"},
    event_properties={
        "product_id": Property("product_id", "string"), "category": Property("category", "string"),
        "price": Property("price", "number"), "quantity": Property("quantity", "integer"),
        "cart_id": Property("cart_id", "string"), "order_id": Property("order_id", "string"),
        "total": Property("order_total", "number"), "order_total": Property("order_total", "number"),
        "campaign_id": Property("campaign_id", "string"), "email_id": Property("email_id", "string"),
        "variant": Property("variant", "string"), "url": Property("url", "string"),
    },
    product_columns={
        "name": Property("product_name", "string"), "category": Property("product_category", "string"),
        "subcategory": Property("product_subcategory", "string"), "price": Property("product_price", "number"),
        "is_new_arrival": Property("product_is_new_arrival", "boolean"),
        "launched_at": Property("product_launched_at", "timestamp"),
    },
    event_names=frozenset({
        "Product Viewed", "Product List Viewed", "Products Searched", "Product Added", "Product Removed",
        "Cart Viewed", "Checkout Started", "Order Completed", "Signed Up", "Signed In",
        "Video Playback Started", "Email Delivered", "Email Opened", "Email Link Clicked", "Email Bounced",
        "Email Marked as Spam", "Unsubscribed"}),
    attribute_values=KNOWN_VALUES,
    score_values={"tier": ("highly_engaged", "potential_buyer", "new", "dormant", "at_risk", "casual")},
)


def evaluation_ddl(schema: Schema = DEFAULT_SCHEMA, replace: bool = False) -> list[str]:
    """`create table` statements for the four relations the compiled SQL reads (empty; for fixtures,
    tests and as the reference of the columns the pipeline must provide); `replace`: create or replace."""
    prof = ["person_id varchar"]
    for name, attr in schema.attributes.items():
        if name == "age":
            continue
        prof.append(f"{_quote(name)} {_SQL_TYPES[attr.type]}")
        if attr.has_provenance:
            prof.append(f"{_quote(name + '__provenance')} varchar")
        if attr.has_confidence:
            prof.append(f"{_quote(name + '__confidence')} double")
    ev = ["message_id varchar", "person_id varchar", "event_name varchar", "event_type varchar",
          "occurred_at timestamp", "properties varchar"]
    seen = {"message_id", "person_id", "event_name", "event_type", "occurred_at", "properties"}
    for prop in [*schema.event_properties.values(), *schema.product_columns.values()]:
        if prop.column not in seen:
            seen.add(prop.column)
            ev.append(f"{_quote(prop.column)} {_SQL_TYPES[prop.type]}")
    sc = ["person_id varchar"] + [f"{_quote(n)} {_SQL_TYPES[t]}" for n, t in schema.scores.items()]
    create = "create or replace table" if replace else "create table"
    return [f"{create} {_relation(schema.profiles)} ({', '.join(prof)})",
            f"{create} {_relation(schema.events)} ({', '.join(ev)})",
            f"{create} {_relation(schema.score_table)} ({', '.join(sc)})",
            f"{create} {_relation(schema.affinity)} (person_id varchar, category varchar, affinity double)"]


# ------------------------------------------------------------------------------------------------- AST

@dataclass(frozen=True)
class Comparison:
    op: str            # one of OPERATORS (count/aggregate: `eq` is stored as `equals`)
    value: Any         # converted to `type`; a list for in / not_in / between; a bool for is_null
    type: str          # what the value is compared as (TYPES, or "count")


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


@dataclass(frozen=True)
class Performed:
    events: tuple[str, ...]
    where: tuple[PropertyFilter, ...] = ()
    within: timedelta | None = None
    between: tuple[datetime, datetime] | None = None
    count: tuple[Comparison, ...] = (Comparison("gte", 1, "count"),)
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


# ------------------------------------------------------------------------------------------------ parse

def parse_duration(text) -> timedelta:
    """`30m`, `24h`, `7d`, `2w` -> timedelta; ValueError otherwise."""
    m = _DURATION_RE.match(text) if isinstance(text, str) else None
    if not m or int(m.group(1)) <= 0:
        raise ValueError(f"bad duration {text!r}; expected a whole number > 0 followed by m, h, d or w "
                         "(30m, 24h, 7d, 2w)")
    return timedelta(seconds=int(m.group(1)) * DURATION_UNITS[m.group(2)])


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _relation(name: str) -> str:
    return ".".join(_quote(part) for part in name.split("."))


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


# the spellings of other query languages, for the "did you mean" of an unknown operator
_ALIASES = {"eq": "equals", "=": "equals", "==": "equals", "ne": "not_equals", "neq": "not_equals",
            "!=": "not_equals", "nin": "not_in", "ge": "gte", ">=": "gte", "le": "lte", "<=": "lte", ">": "gt",
            "<": "lt", "like": "contains", "startswith": "starts_with", "isnull": "is_null", "null": "is_null"}


def _hint(word, choices) -> str:
    choices = [str(c) for c in choices]
    alias = _ALIASES.get(str(word).lower())
    if alias in choices:
        return f" (did you mean {alias!r}?)"
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _show(value) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return repr(value)


def _a(type_: str) -> str:
    return f"an {type_}" if type_[0] in "aeiou" else f"a {type_}"


def _type_of_value(value) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, datetime):
        return "timestamp"
    if isinstance(value, date):
        return "date"
    if isinstance(value, str):
        return "string"
    return None


def convert_value(value, type_: str):
    """A YAML value as `type_` (TYPES): numbers as float, dates as date, timestamps as naive UTC
    datetime; ValueError says what was wrong (`got 'cheap'`), the caller says who expected what."""
    if value is None:
        raise ValueError("got nothing (null); use is_null: true to test for a missing value")
    if type_ == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            raise ValueError(f"got {_show(value)} (YAML reads unquoted yes/no/on/off/true/false as booleans: "
                             "quote the text)")
        if isinstance(value, (int, float, date)):
            raise ValueError(f"got {_show(value)} (quote it to compare as text: '{value}')")
        raise ValueError(f"got {_show(value)}")
    if type_ in ("number", "integer"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ValueError(f"got {_show(value)}")
    if type_ == "boolean":
        if isinstance(value, bool):
            return value
        raise ValueError(f"got {_show(value)}")
    if type_ == "date":
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise ValueError(f"got {_show(value)} (expected YYYY-MM-DD)")
    if type_ == "timestamp":
        if isinstance(value, (date, str)):
            try:
                return to_utc(value)
            except ValueError:
                pass
        raise ValueError(f"got {_show(value)} (expected an ISO-8601 timestamp such as 2024-06-01T12:00:00Z)")
    raise ValueError(f"unknown type {type_!r}")


def _canonical(doc) -> str:
    return json.dumps(doc, sort_keys=True, default=str, ensure_ascii=False)


class _Parser:
    """Walks one segment document, collecting every error (and warning) instead of stopping."""

    def __init__(self, source: str, schema: Schema):
        self.source = source
        self.schema = schema
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []
        self.references: list[tuple[str, str]] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(Issue(self.source, path, message))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(Issue(self.source, path, message))

    # --------------------------------------------------------------------------- document
    def document(self, doc) -> Segment | None:
        if not isinstance(doc, dict):
            self.error("", f"expected a mapping with keys {', '.join(TOP_LEVEL_KEYS)}, got {_show(doc)}")
            return None
        for key in doc:
            if key not in TOP_LEVEL_KEYS:
                self.error(str(key), f"unknown key {key!r}{_hint(key, TOP_LEVEL_KEYS)}; expected some of: "
                                     f"{', '.join(TOP_LEVEL_KEYS)}")
        name = doc.get("name")
        if name is None:
            self.error("name", "missing; expected the segment's unique snake_case name")
        elif not isinstance(name, str) or not _NAME_RE.match(name):
            self.error("name", f"expected a snake_case name (a-z, 0-9, _; starting with a letter), got {_show(name)}")
        description = doc.get("description", "")
        if description is None or not isinstance(description, str):
            self.error("description", f"expected text, got {_show(description)}")
        owner = doc.get("owner")
        if owner is not None and not isinstance(owner, str):
            self.error("owner", f"expected text (a team or a person), got {_show(owner)}")
        tags = doc.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            self.error("tags", f"expected a list of text tags, got {_show(tags)}")
        expect_nonempty = doc.get("expect_nonempty", False)
        if not isinstance(expect_nonempty, bool):
            self.error("expect_nonempty", f"expected true or false, got {_show(expect_nonempty)}")
        if "rules" not in doc:
            self.error("rules", f"missing; expected a condition (one of: {', '.join(BLOCKS)})")
            rules = None
        else:
            rules = self.condition(doc["rules"], "rules")
        if self.errors:
            return None
        version = hashlib.sha256(_canonical({"name": name, "rules": doc["rules"]}).encode()).hexdigest()[:12]
        return Segment(name=name, rules=rules, description=(description or "").strip(), owner=owner,
                       tags=tuple(tags), expect_nonempty=expect_nonempty, source=self.source,
                       references=tuple(self.references), version=version, doc=doc)

    # --------------------------------------------------------------------------- conditions
    def condition(self, node, path: str):
        if not isinstance(node, dict) or not node:
            self.error(path, f"expected a condition: a mapping with one of {', '.join(BLOCKS)}, got {_show(node)}")
            return None
        blocks = [k for k in node if k in BLOCKS]
        if not blocks:
            for key in node:
                self.error(_join(path, key), f"unknown block {key!r}{_hint(key, BLOCKS)}; expected one of: "
                                             f"{', '.join(BLOCKS)}")
            return None
        if len(blocks) > 1:
            self.error(path, f"one block per condition, got {', '.join(blocks)}; combine conditions with "
                             "all: [..] or any: [..]")
            return None
        return getattr(self, "_" + blocks[0])(node, path)

    def _group(self, node, path, kind, cls):
        for key in node:
            if key != kind:
                self.error(_join(path, key), f"unexpected key {key!r} beside {kind!r}; an {kind} block holds only "
                                             "its list of conditions")
        items = node[kind]
        if not isinstance(items, list) or not items:
            self.error(_join(path, kind), f"expected a non-empty list of conditions, got {_show(items)}")
            return None
        children = [self.condition(c, f"{path}.{kind}[{i}]") for i, c in enumerate(items)]
        return None if any(c is None for c in children) else cls(tuple(children))

    def _all(self, node, path):
        return self._group(node, path, "all", AllOf)

    def _any(self, node, path):
        return self._group(node, path, "any", AnyOf)

    def _not(self, node, path):
        for key in node:
            if key != "not":
                self.error(_join(path, key), f"unexpected key {key!r} beside 'not'; a not block holds one condition")
        child = self.condition(node["not"], _join(path, "not"))
        return None if child is None else Not(child)

    def _attribute(self, node, path):
        name = node["attribute"]
        spec = None
        if not isinstance(name, str):
            self.error(_join(path, "attribute"), f"expected an attribute name, got {_show(name)}")
        else:
            spec = self.schema.attributes.get(name)
            if spec is None:
                self.error(_join(path, "attribute"),
                           f"unknown attribute {name!r}{_hint(name, self.schema.attributes)}; expected one of: "
                           f"{', '.join(sorted(self.schema.attributes))}")
        provenance = min_confidence = None
        if "provenance" in node:
            provenance = node["provenance"]
            p = _join(path, "provenance")
            if isinstance(provenance, str):
                provenance = [provenance]
            if not isinstance(provenance, list) or not provenance:
                self.error(p, f"expected a list of provenances (some of {', '.join(PROVENANCES)}), got "
                              f"{_show(node['provenance'])}")
                provenance = None
            else:
                for i, v in enumerate(provenance):
                    if v not in PROVENANCES:
                        self.error(f"{p}[{i}]", f"unknown provenance {_show(v)}{_hint(v, PROVENANCES)}; expected "
                                                f"one of: {', '.join(PROVENANCES)}")
                provenance = tuple(provenance)
        if "min_confidence" in node:
            min_confidence = node["min_confidence"]
            if isinstance(min_confidence, bool) or not isinstance(min_confidence, (int, float)) \
                    or not 0 <= min_confidence <= 1:
                self.error(_join(path, "min_confidence"), f"expected a number between 0 and 1, got "
                                                          f"{_show(min_confidence)}")
            min_confidence = float(min_confidence) if isinstance(min_confidence, (int, float)) else None
        ops = {k: v for k, v in node.items() if k not in ("attribute", "provenance", "min_confidence")}
        label = f"{name}" if isinstance(name, str) else "the attribute"
        comparisons = self.comparisons(ops, path, spec.type if spec else None, label, OPERATORS,
                                       extra=("provenance", "min_confidence"))
        if spec is None or comparisons is None:
            return None
        self.known_values(ops, comparisons, path, name, self.schema.attribute_values.get(name))
        return AttributeCondition(name, spec, comparisons, provenance, min_confidence)

    def _score(self, node, path):
        name = node["score"]
        p = _join(path, "score")
        type_ = None
        affinity = False
        if not isinstance(name, str):
            self.error(p, f"expected a score name, got {_show(name)}")
        elif name.startswith(AFFINITY_PREFIX):
            affinity = True
            name = name[len(AFFINITY_PREFIX):]
            if not name.strip():
                self.error(p, "expected affinity.<Category>, e.g. affinity.Electronics")
            else:
                type_ = "number"
        elif name in self.schema.scores:
            type_ = self.schema.scores[name]
        else:
            self.error(p, f"unknown score {name!r}{_hint(name, self.schema.scores)}; expected one of: "
                          f"{', '.join(sorted(self.schema.scores))}, or affinity.<Category>")
        ops = {k: v for k, v in node.items() if k != "score"}
        comparisons = self.comparisons(ops, path, type_, str(node["score"]), OPERATORS)
        if type_ is None or comparisons is None:
            return None
        if not affinity:
            self.known_values(ops, comparisons, path, name, self.schema.score_values.get(name))
        return ScoreCondition(name, comparisons, affinity)

    def known_values(self, ops: dict, comparisons, path: str, what: str, known) -> None:
        """Warn about a value outside a known enumeration (a likely typo: comparisons are exact)."""
        if not known:
            return
        for (op, _), comp in zip(ops.items(), comparisons):
            if comp.op not in ("equals", "not_equals", "in", "not_in"):
                continue
            for v in comp.value if isinstance(comp.value, list) else [comp.value]:
                if v not in known:
                    self.warn(_join(path, op), f"{v!r} is not a known value of {what}{_hint(v, known)}; known: "
                                               f"{', '.join(known)} (comparisons are exact and case-sensitive)")

    def _in_segment(self, node, path):
        for key in node:
            if key != "in_segment":
                self.error(_join(path, key), f"unexpected key {key!r} beside 'in_segment'")
        name = node["in_segment"]
        p = _join(path, "in_segment")
        if not isinstance(name, str) or not _NAME_RE.match(name):
            self.error(p, f"expected the name of another segment, got {_show(name)}")
            return None
        self.references.append((name, p))
        return InSegment(name)

    def _performed(self, node, path):
        for key in node:
            if key not in PERFORMED_KEYS:
                self.error(_join(path, key), f"unknown key {key!r} in a performed condition"
                                             f"{_hint(key, PERFORMED_KEYS)}; expected some of: "
                                             f"{', '.join(PERFORMED_KEYS)}")
        ok = len(self.errors)
        events = self.event_names(node["performed"], _join(path, "performed"))
        where = self.where(node.get("where", {}), _join(path, "where"))
        within = between = None
        if "within" in node and "between" in node:
            self.error(path, "give within or between, not both")
        if "within" in node:
            within = self.duration(node["within"], _join(path, "within"))
        if "between" in node:
            between = self.window(node["between"], _join(path, "between"))
        count = (Comparison("gte", 1, "count"),)
        if "count" in node:
            count = self.count(node["count"], _join(path, "count"))
        aggregate = self.aggregate(node["aggregate"], _join(path, "aggregate")) if "aggregate" in node else None
        follow = self.follow_up(node["not_followed_by"], _join(path, "not_followed_by")) \
            if "not_followed_by" in node else None
        if len(self.errors) > ok:
            return None
        return Performed(events, where, within, between, count, aggregate, follow)

    # --------------------------------------------------------------------------- pieces
    def event_names(self, value, path) -> tuple[str, ...]:
        names = None
        if isinstance(value, str) and value.strip():
            names = [value]
        elif isinstance(value, dict) and set(value) == {"any_of"} and isinstance(value["any_of"], list) \
                and value["any_of"] and all(isinstance(v, str) and v.strip() for v in value["any_of"]):
            names = value["any_of"]
        if names is None:
            self.error(path, f"expected an event name or {{any_of: [name, ..]}}, got {_show(value)}")
            return ()
        known = self.schema.event_names
        for n in names:
            if known and n not in known:
                self.warn(path, f"event {n!r} is not a known event name{_hint(n, known)}; it matches only events "
                                "named exactly so")
        return tuple(dict.fromkeys(names))

    def duration(self, value, path) -> timedelta | None:
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.error(path, str(exc))
            return None

    def window(self, value, path):
        if not isinstance(value, list) or len(value) != 2:
            self.error(path, f"expected [start, end] timestamps, got {_show(value)}")
            return None
        bounds = []
        for i, v in enumerate(value):
            try:
                bounds.append(convert_value(v, "timestamp"))
            except ValueError as exc:
                self.error(f"{path}[{i}]", f"expected a timestamp: {exc}")
        if len(bounds) == 2 and not bounds[0] < bounds[1]:
            self.error(path, "expected start before end (the window includes start and excludes end)")
        return tuple(bounds) if len(bounds) == 2 else None

    def field(self, key, path, value_hint=None) -> Field | None:
        """A property (typed column, catalog column or JSON key); its type for JSON keys from the value."""
        if not isinstance(key, str):
            self.error(path, f"expected a property name, got {_show(key)}")
            return None
        if key.startswith("product."):
            col = key[len("product."):]
            prop = self.schema.product_columns.get(col)
            if prop is None:
                self.error(path, f"unknown product column {col!r}{_hint(col, self.schema.product_columns)}; "
                                 f"expected one of: {', '.join(sorted(self.schema.product_columns))}")
                return None
            return Field(key, prop.column, prop.type)
        prop = self.schema.event_properties.get(key)
        if prop is not None:
            return Field(key, prop.column, prop.type)
        if not _PROPERTY_RE.match(key):
            self.error(path, f"expected a property name (letters, digits, _) or product.<column>, got {key!r}")
            return None
        return Field(key, None, value_hint or "string")

    def where(self, value, path) -> tuple[PropertyFilter, ...]:
        if not isinstance(value, dict):
            self.error(path, f"expected a mapping of property filters like {{category: Electronics}}, got "
                             f"{_show(value)}")
            return ()
        filters = []
        for key, spec in value.items():
            p = _join(path, key)
            ops = spec if isinstance(spec, dict) else {"equals": spec}
            op_path = p if not isinstance(spec, dict) else None
            hint = None
            for op, v in ops.items():          # JSON property: compare as the type of the (first) value
                sample = v[0] if op in ("in", "not_in", "between") and isinstance(v, list) and v else v
                if op != "is_null":
                    hint = _type_of_value(sample)
                    break
            f = self.field(key, p, hint)
            if f is None:
                continue
            comps = self.comparisons(ops, p, f.type, key, OPERATORS, property_=True, flat_path=op_path,
                                     json=f.column is None)
            if comps is not None:
                filters.append(PropertyFilter(f, comps))
        return tuple(filters)

    def count(self, value, path):
        if not isinstance(value, dict) or not value:
            self.error(path, f"expected a comparison like {{gte: 2}} or {{eq: 0}}, got {_show(value)}")
            return None
        return self.comparisons(value, path, "count", "count", COUNT_OPERATORS)

    def aggregate(self, value, path):
        if not isinstance(value, dict):
            self.error(path, f"expected {{fn: sum|avg|min|max, of: property, gte: n}}, got {_show(value)}")
            return None
        fn = value.get("fn")
        if fn not in AGGREGATE_FUNCTIONS:
            self.error(_join(path, "fn"), f"expected one of: {', '.join(AGGREGATE_FUNCTIONS)}, got {_show(fn)}")
        of = None
        if "of" not in value:
            self.error(_join(path, "of"), "missing; expected the numeric property to aggregate, e.g. total")
        else:
            of = self.field(value["of"], _join(path, "of"), "number")
            if of is not None and of.type not in ("number", "integer"):
                self.error(_join(path, "of"), f"{of.key} is {_a(of.type)}; expected a numeric property")
                of = None
        ops = {k: v for k, v in value.items() if k not in ("fn", "of")}
        comps = None
        if not ops:
            self.error(path, "expected a comparison of the aggregate, e.g. gte: 500")
        else:
            label = f"the {fn} of {value.get('of')}" if fn in AGGREGATE_FUNCTIONS else "the aggregate"
            comps = self.comparisons(ops, path, "number", label,
                                     COUNT_OPERATORS, extra=("fn", "of"))
        if fn not in AGGREGATE_FUNCTIONS or of is None or comps is None:
            return None
        return Aggregate(fn, of, comps)

    def follow_up(self, value, path):
        if not isinstance(value, dict):
            self.error(path, f"expected {{event: E2, within: D2, where: ..}}, got {_show(value)}")
            return None
        ok = len(self.errors)
        for key in value:
            if key not in FOLLOW_UP_KEYS:
                self.error(_join(path, key), f"unknown key {key!r}{_hint(key, FOLLOW_UP_KEYS)}; expected some of: "
                                             f"{', '.join(FOLLOW_UP_KEYS)}")
        events = ()
        if "event" not in value:
            self.error(_join(path, "event"), "missing; expected the event that rescues the occurrence")
        else:
            events = self.event_names(value["event"], _join(path, "event"))
        within = None
        if "within" not in value:
            self.error(_join(path, "within"), "missing; expected the grace period, e.g. 24h")
        else:
            within = self.duration(value["within"], _join(path, "within"))
        where = self.where(value.get("where", {}), _join(path, "where"))
        if len(self.errors) > ok:
            return None
        return FollowUp(events, within, where)

    def comparisons(self, ops: dict, path, type_, what, allowed, extra=(), property_=False, flat_path=None,
                    json=False):
        """Operator map -> comparisons. type_ None: the subject is unknown (already reported): only the
        operator names are checked. flat_path: the path of a bare `prop: value` (no operator key)."""
        if not ops:
            self.error(path, f"expected an operator: one of {', '.join(allowed)}")
            return None
        out, ok = [], True
        for op, value in ops.items():
            p = flat_path or _join(path, op)
            if op not in allowed:
                besides = f" (options: {', '.join(extra)})" if extra else ""
                self.error(p, f"unknown operator {op!r}{_hint(op, (*allowed, *extra))}; expected one of: "
                              f"{', '.join(allowed)}{besides}")
                ok = False
                continue
            if type_ is None:
                continue
            comp = self.comparison(op, value, p, type_, what, property_, json)
            if comp is None:
                ok = False
            else:
                out.append(comp)
        return tuple(out) if ok and type_ is not None else None

    def comparison(self, op, value, path, type_, what, property_, json):
        mismatch = "property type mismatch" if property_ else "type mismatch"
        if op == "eq":
            op = "equals"

        def conv(v, p):
            if type_ == "count":
                if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                    self.error(p, f"expected a whole number >= 0, got {_show(v)}")
                    raise ValueError
                return v
            try:
                return convert_value(v, type_)
            except ValueError as exc:
                if json:   # a property outside the typed columns: compared as the type of its first value
                    self.error(p, f"{mismatch}: {what} is compared as {_a(type_)} here (its first value), {exc}")
                else:
                    self.error(p, f"{mismatch}: {what} is {_a(type_)}, {exc}")
                raise

        try:
            if op == "is_null":
                if not isinstance(value, bool):
                    self.error(path, f"expected true or false, got {_show(value)}")
                    return None
                return Comparison(op, value, type_)
            if op in ("contains", "starts_with") and type_ != "string":
                self.error(path, f"{op} applies to text; {what} is {_a(type_)}")
                return None
            if op in ("gt", "gte", "lt", "lte", "between") and type_ == "boolean":
                self.error(path, f"{op} does not apply to booleans; use equals: true or equals: false")
                return None
            if op in ("in", "not_in"):
                if not isinstance(value, list) or not value:
                    self.error(path, f"expected a non-empty list of values, got {_show(value)}")
                    return None
                values = [conv(v, f"{path}[{i}]") for i, v in enumerate(value)]
                return Comparison(op, values, type_)
            if op == "between":
                if not isinstance(value, list) or len(value) != 2:
                    self.error(path, f"expected [low, high] (both included), got {_show(value)}")
                    return None
                lo, hi = conv(value[0], f"{path}[0]"), conv(value[1], f"{path}[1]")
                if lo > hi:
                    self.error(path, f"expected low <= high, got {_show(value[0])} > {_show(value[1])}")
                    return None
                return Comparison(op, [lo, hi], type_)
            if isinstance(value, (list, dict)):
                self.error(path, f"expected a single value, got {_show(value)}"
                                 + (" (use in: [..] for several values)" if isinstance(value, list) else ""))
                return None
            return Comparison(op, conv(value, path), type_)
        except ValueError:
            return None


# ----------------------------------------------------------------------------------- files and catalogs

@dataclass
class FileResult:
    """The outcome of loading one segment file: the segment when it is usable, else the errors."""
    source: str
    name: str | None = None
    segment: Segment | None = None
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    references: list[tuple[str, str]] = field(default_factory=list, repr=False)  # in_segment (name, path)

    @property
    def ok(self) -> bool:
        return not self.errors and self.segment is not None


def parse_segment(doc, source: str = "<segment>", schema: Schema = DEFAULT_SCHEMA) -> Segment:
    """Validate one parsed YAML document into a Segment, or raise SegmentError with every problem.

    Checks the file alone: whether `in_segment` names exist (and cycles) is checked by
    `validate_segments` / `validate_dir`, which see every file."""
    result = _check_one(source, doc, schema)
    if result.errors:
        raise SegmentError(result.errors)
    return result.segment


class _Unreadable(str):
    """A file that could not be read (the text is the reason)."""


def _check_one(source: str, content, schema: Schema) -> FileResult:
    if isinstance(content, _Unreadable):
        return FileResult(source, errors=[Issue(source, "", f"cannot read the file: {content}")])
    if isinstance(content, (str, bytes)):
        try:
            content = yaml.safe_load(content)
        except yaml.YAMLError as exc:
            return FileResult(source, errors=[Issue(source, "", f"not valid YAML: {exc}")])
    parser = _Parser(source, schema)
    segment = parser.document(content)
    name = content.get("name") if isinstance(content, dict) and isinstance(content.get("name"), str) else None
    return FileResult(source, name, segment, parser.errors, parser.warnings, parser.references)


def validate_segments(files: Mapping[str, Any], schema: Schema = DEFAULT_SCHEMA) -> list[FileResult]:
    """Validate several segment files together: `files` maps a source name (the file path) to its YAML
    text or parsed document. Besides each file's own errors: duplicate names, in_segment naming an
    unknown segment, cycles (named: a -> b -> a), and segments that depend on a broken one."""
    results = [_check_one(source, content, schema) for source, content in files.items()]
    by_name: dict[str, list[FileResult]] = {}
    for r in results:
        if r.name:
            by_name.setdefault(r.name, []).append(r)
    for name, rs in by_name.items():
        if len(rs) > 1:
            for r in rs:
                others = ", ".join(o.source for o in rs if o is not r)
                r.errors.append(Issue(r.source, "name", f"duplicate segment name {name!r}: also defined in {others}"))
    for r in results:
        for ref, path in r.references:
            if ref not in by_name:
                r.errors.append(Issue(r.source, path, f"unknown segment {ref!r}{_hint(ref, by_name)}; expected one "
                                                      f"of: {', '.join(sorted(by_name)) or '(no segments)'}"))
    parsed = {r.segment.name: r for r in results if r.segment is not None and len(by_name[r.segment.name]) == 1}
    # cycles: every segment on a cycle reports it at its own reference
    graph = {n: [ref for ref, _ in r.segment.references if ref in parsed] for n, r in parsed.items()}
    for n, r in parsed.items():
        for ref, path in r.segment.references:
            if ref in parsed:
                cycle = _path_between(graph, ref, n)
                if cycle is not None:
                    r.errors.append(Issue(r.source, path, "in_segment cycle: " + " -> ".join([n, *cycle])))
    # a segment that depends on a broken or unknown one cannot be evaluated either
    changed = True
    while changed:
        changed = False
        for n, r in parsed.items():
            if r.errors:
                continue
            for ref, path in r.segment.references:
                target = parsed.get(ref)
                if ref in by_name and (target is None or target.errors):
                    where = ", ".join(t.source for t in by_name[ref])
                    r.errors.append(Issue(r.source, path, f"depends on segment {ref!r} ({where}), which has errors"))
                    changed = True
                    break
    for r in results:
        if r.errors:
            r.segment = None
    return results


def _path_between(graph: Mapping[str, list[str]], start: str, goal: str) -> list[str] | None:
    """Shortest path start -> ... -> goal along graph edges (breadth first), or None."""
    previous = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        if node == goal:
            out = []
            while node is not None:
                out.append(node)
                node = previous[node]
            return out[::-1]
        for nxt in graph.get(node, ()):
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return None


def segment_files(directory: str | Path) -> list[Path]:
    """The segment files of a folder: *.yml and *.yaml directly in it (not segments/tests/), sorted."""
    directory = Path(directory)
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in (".yml", ".yaml"))


def validate_dir(directory: str | Path, schema: Schema = DEFAULT_SCHEMA) -> list[FileResult]:
    """Validate every segment file of a folder together; one result per file, sorted by path (a broken
    file reports its errors and leaves the others usable). A missing folder raises SegmentError."""
    directory = Path(directory)
    if not directory.is_dir():
        raise SegmentError(Issue(str(directory), "", "no such segment folder"))
    paths = segment_files(directory)
    files = {}
    for path in paths:
        try:
            files[str(path)] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            files[str(path)] = _Unreadable(str(exc))
    results = validate_segments(files, schema)
    for path, r in zip(paths, results):
        if r.segment is not None and r.segment.name != path.stem:
            r.warnings.append(Issue(r.source, "name", f"the name {r.segment.name!r} differs from the file name "
                                                      f"{path.stem!r}; its fixtures are tests/{r.segment.name}.yml"))
    return results


@dataclass
class Catalog:
    """Every segment file of a folder, validated together; compile the usable ones by name."""
    results: list[FileResult]
    schema: Schema = DEFAULT_SCHEMA

    @property
    def segments(self) -> dict[str, Segment]:
        return {r.segment.name: r.segment for r in self.results if r.ok}

    @property
    def errors(self) -> list[Issue]:
        return [i for r in self.results for i in r.errors]

    @property
    def warnings(self) -> list[Issue]:
        return [i for r in self.results for i in r.warnings]

    @property
    def ok(self) -> bool:
        return not self.errors

    def result(self, name: str) -> FileResult | None:
        """The file result of the segment called `name` (None if no file defines it)."""
        return next((r for r in self.results if r.name == name), None)

    def compile(self, name: str) -> CompiledSegment:
        """The SQL of one usable segment; SegmentError (with the file's errors) if it is broken."""
        if name not in self.segments:
            r = self.result(name)
            raise SegmentError(r.errors if r and r.errors else
                               [Issue("<segments>", "", f"unknown segment {name!r}{_hint(name, self.segments)}")])
        return compile_segment(name, self.segments, self.schema)


def load_catalog(directory: str | Path, schema: Schema = DEFAULT_SCHEMA) -> Catalog:
    return Catalog(validate_dir(directory, schema), schema)


# ---------------------------------------------------------------------------------------------- compile

@dataclass(frozen=True)
class CompiledSegment:
    """One segment's query: `sql` returns the `person_id` of its members, sorted, from every person of
    the profiles relation. Run it with `parameters(as_of)` (user values + `$as_of`) or `members()`."""
    name: str
    sql: str
    params: Mapping[str, Any]
    uses_as_of: bool
    depends_on: tuple[str, ...] = ()     # the segments compiled in as CTEs, dependencies first

    def parameters(self, as_of) -> dict:
        out = dict(self.params)
        if self.uses_as_of:
            out["as_of"] = to_utc(as_of)
        return out

    def members(self, con, as_of) -> list[str]:
        """The members at `as_of` on a DuckDB connection holding the evaluation relations."""
        return [row[0] for row in con.execute(self.sql, self.parameters(as_of)).fetchall()]


def compile_segment(name: str, segments: Mapping[str, Segment], schema: Schema = DEFAULT_SCHEMA) -> CompiledSegment:
    """Compile segment `name` (and, as CTEs before it, the segments it reaches by in_segment)."""
    order = _dependency_order(name, segments)
    compiler = _Compiler(schema)
    for n in order:
        compiler.segment(segments[n])
    ctes = ",\n".join(f"{_quote(cte)} as (\n    {body}\n)" for cte, body in compiler.ctes)
    sql = f"with\n{ctes}\nselect person_id from {_quote(name)} order by person_id"
    return CompiledSegment(name, sql, compiler.params, compiler.uses_as_of, tuple(order[:-1]))


def members(con, name: str, segments: Mapping[str, Segment], as_of, schema: Schema = DEFAULT_SCHEMA) -> list[str]:
    """Compile and evaluate segment `name` at `as_of` on `con`: the person_ids of its members, sorted."""
    return compile_segment(name, segments, schema).members(con, as_of)


def _dependency_order(name: str, segments: Mapping[str, Segment]) -> list[str]:
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(n: str, trail: list[str]) -> None:
        if n not in segments:
            source = segments[trail[-2]].source if len(trail) > 1 else "<segments>"
            raise SegmentError(Issue(source, "", f"unknown segment {n!r}{_hint(n, segments)}"))
        if state.get(n) == "done":
            return
        if state.get(n) == "active":
            cycle = trail[trail.index(n):]
            raise SegmentError(Issue(segments[n].source, "", "in_segment cycle: " + " -> ".join(cycle)))
        state[n] = "active"
        for dep in segments[n].depends_on:
            visit(dep, [*trail, dep])
        state[n] = "done"
        order.append(n)

    visit(name, [name])
    return order


class _Scope:
    """The joins of one segment's select (one per event condition / affinity / the scores row)."""

    def __init__(self, name: str):
        self.name = name
        self.joins: list[str] = []
        self.counter = 0
        self.scores_joined = False
        self.scans: dict[tuple, "_Scan"] = {}     # deduplicated relations: one scan per event filter

    def alias(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"


class _Scan:
    """One scan of the events relation shared by every condition with the same events and filters:
    each condition adds its own window as `count(*) filter (...)` (and aggregate) columns. Rendered
    when the SQL is assembled, after every condition has added its columns."""

    def __init__(self, relation: str, conds: list[str], alias: str):
        self.relation, self.conds, self.alias = relation, conds, alias
        self.columns: list[str] = []
        self.windows: list[str | None] = []

    def add(self, window: str | None, agg_expr: str | None) -> tuple[str, str | None]:
        k = len(self.windows) + 1
        flt = f" filter (where {window})" if window else ""
        self.columns.append(f"count(*){flt} as n{k}")
        if agg_expr:
            self.columns.append(f"{agg_expr}{flt} as agg{k}")
        self.windows.append(window)
        return f"n{k}", (f"agg{k}" if agg_expr else None)

    def __str__(self) -> str:
        conds = list(self.conds)
        if all(self.windows):          # every condition has a window: scan only what any of them needs
            conds.append("(" + " or ".join(dict.fromkeys(self.windows)) + ")")
        where = "\n          and ".join(conds)
        return (f"select e.person_id, {', '.join(self.columns)}\n"
                f"    from {self.relation} as e\n"
                f"    where {where}\n"
                f"    group by e.person_id")


def _leaf(predicate: str) -> str:
    """Two-valued: a comparison with a missing value is false, never NULL."""
    return f"coalesce({predicate}, false)"


class _Compiler:
    def __init__(self, schema: Schema):
        self.schema = schema
        self.params: dict[str, Any] = {}
        self.uses_as_of = False
        self.ctes: list[tuple[str, str]] = []
        self._bound: dict[tuple, str] = {}

    def bind(self, value, sql_type: str) -> str:
        # the same value of the same type is one parameter: equal filters compile to equal SQL text
        # (which lets conditions on the same events share one scan)
        reuse = (type(value).__name__, repr(value), sql_type)
        key = self._bound.get(reuse)
        if key is None:
            key = self._bound[reuse] = f"p{len(self.params) + 1}"
            self.params[key] = value
        return f"cast(${key} as {sql_type})"

    @property
    def as_of(self) -> str:
        self.uses_as_of = True
        return "cast($as_of as timestamp)"

    def seconds(self, delta: timedelta) -> str:
        return f"to_seconds({self.bind(int(delta.total_seconds()), 'bigint')})"

    # ------------------------------------------------------------------ segment
    def segment(self, seg: Segment) -> None:
        scope = _Scope(seg.name)
        where = self.condition(seg.rules, scope)
        joins = "".join(f"\n    {j}" for j in scope.joins)
        distinct = "" if self.schema.deduplicated else "distinct "
        body = (f"select {distinct}p.person_id\n    from {_relation(self.schema.profiles)} as p{joins}\n"
                f"    where {where}")
        self.ctes.append((seg.name, body))

    def condition(self, node, scope: _Scope) -> str:
        if isinstance(node, AllOf):
            return "(" + " and ".join(self.condition(c, scope) for c in node.conditions) + ")"
        if isinstance(node, AnyOf):
            return "(" + " or ".join(self.condition(c, scope) for c in node.conditions) + ")"
        if isinstance(node, Not):
            return f"(not {self.condition(node.condition, scope)})"
        if isinstance(node, AttributeCondition):
            value = self.attribute_value(node)
            return self.all_of(value, node.comparisons, node.spec.case_insensitive)
        if isinstance(node, ScoreCondition):
            return self.all_of(self.score_value(node, scope), node.comparisons)
        if isinstance(node, Performed):
            return self.performed(node, scope)
        if isinstance(node, InSegment):
            return f"exists (select 1 from {_quote(node.segment)} as m where m.person_id = p.person_id)"
        raise TypeError(f"not a condition: {node!r}")

    def all_of(self, value: str, comparisons, case_insensitive: bool = False) -> str:
        parts = [_leaf(self.predicate(value, c, case_insensitive)) for c in comparisons]
        return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"

    def predicate(self, value: str, c: Comparison, case_insensitive: bool = False) -> str:
        if c.op == "is_null":
            return f"{value} is null" if c.value else f"{value} is not null"
        sql_type = _PARAM_TYPES[c.type]
        lhs = f"lower({value})" if case_insensitive else value

        def v(x):
            p = self.bind(x, sql_type)
            return f"lower({p})" if case_insensitive else p

        if c.op in _SQL_OPERATORS:
            return f"{lhs} {_SQL_OPERATORS[c.op]} {v(c.value)}"
        if c.op in ("in", "not_in"):
            word = "in" if c.op == "in" else "not in"
            return f"{lhs} {word} ({', '.join(v(x) for x in c.value)})"
        if c.op == "between":
            return f"{lhs} between {v(c.value[0])} and {v(c.value[1])}"
        if c.op == "contains":
            return f"contains({lhs}, {v(c.value)})"
        if c.op == "starts_with":
            return f"starts_with({lhs}, {v(c.value)})"
        raise ValueError(f"unknown operator {c.op!r}")

    # ------------------------------------------------------------------ attributes and scores
    def attribute_value(self, node: AttributeCondition) -> str:
        name = "birth_date" if node.attribute == "age" else node.attribute
        spec = self.schema.attributes.get(name, node.spec)
        value = f"p.{_quote(name)}"
        accept = []
        if node.provenance is not None:
            prov = f"p.{_quote(name + '__provenance')}" if spec.has_provenance else "'declared'"
            accept.append(_leaf(f"{prov} in ({', '.join(self.bind(x, 'varchar') for x in node.provenance)})"))
        if node.min_confidence is not None:
            conf = f"p.{_quote(name + '__confidence')}" if spec.has_confidence else "1.0"
            accept.append(_leaf(f"{conf} >= {self.bind(node.min_confidence, 'double')}"))
        if accept:
            value = f"(case when {' and '.join(accept)} then {value} end)"
        if node.attribute == "age":
            as_of = f"cast({self.as_of} as date)"
            value = (f"(year({as_of}) - year({value}) - case when month({as_of}) * 100 + day({as_of}) "
                     f"< month({value}) * 100 + day({value}) then 1 else 0 end)")
        return value

    def score_value(self, node: ScoreCondition, scope: _Scope) -> str:
        if node.affinity:
            alias = scope.alias("a")
            scope.joins.append(
                f"left join (select person_id, max(affinity) as affinity from {_relation(self.schema.affinity)} "
                f"where category = {self.bind(node.score, 'varchar')} group by person_id) as {alias} "
                f"on {alias}.person_id = p.person_id")
            return f"{alias}.affinity"
        if not scope.scores_joined:
            scope.scores_joined = True
            scope.joins.append(f"left join {_relation(self.schema.score_table)} as s on s.person_id = p.person_id")
        return f"s.{_quote(node.score)}"

    # ------------------------------------------------------------------ events
    def field(self, f: Field, alias: str) -> str:
        if f.column is not None:
            return f"{alias}.{_quote(f.column)}"
        raw = f"json_extract_string({alias}.properties, {self.bind('$.' + _quote(f.key), 'varchar')})"
        return raw if f.type == "string" else f"try_cast({raw} as {_SQL_TYPES[f.type]})"

    def filters(self, where, alias: str) -> list[str]:
        return [_leaf(self.predicate(self.field(pf.field, alias), c)) for pf in where for c in pf.comparisons]

    def event_names(self, names, alias: str) -> str:
        return f"{alias}.event_name in ({', '.join(self.bind(n, 'varchar') for n in names)})"

    def performed(self, node: Performed, scope: _Scope) -> str:
        alias = scope.alias("e")
        cte = f"{scope.name}#{alias}"
        conds = [self.event_names(node.events, "e"), f"e.occurred_at <= {self.as_of}"]
        if node.within is not None:
            conds.append(f"e.occurred_at > {self.as_of} - {self.seconds(node.within)}")
        if node.between is not None:
            conds.append(f"e.occurred_at >= {self.bind(node.between[0], 'timestamp')}")
            conds.append(f"e.occurred_at < {self.bind(node.between[1], 'timestamp')}")
        conds += self.filters(node.where, "e")
        if node.not_followed_by is not None:
            fu = node.not_followed_by
            grace = self.seconds(fu.within)
            followers = [self.event_names(fu.events, "f"), "f.person_id = e.person_id",
                         "f.occurred_at > e.occurred_at", f"f.occurred_at <= e.occurred_at + {grace}",
                         *self.filters(fu.where, "f")]
            conds.append(f"e.occurred_at + {grace} <= {self.as_of}")
            conds.append(f"not exists (select 1 from {_relation(self.schema.events)} as f "
                         f"where {' and '.join(followers)})")
        agg = node.aggregate
        value = f", any_value({self.field(agg.of, 'e')}) as v" if agg else ""
        where = "\n          and ".join(conds)
        if self.schema.deduplicated:     # one row per message_id already: conditions share scans
            window = conds.pop(2) if node.within is not None else None
            key = tuple(conds)
            scan = scope.scans.get(key)
            if scan is None:
                scan = scope.scans[key] = _Scan(_relation(self.schema.events), conds, alias)
                self.ctes.append((cte, scan))
                scope.joins.append(f"left join {_quote(cte)} as {alias} on {alias}.person_id = p.person_id")
            n_col, agg_col = scan.add(window, f"{agg.fn}({self.field(agg.of, 'e')})" if agg else None)
            parts = [_leaf(self.predicate(f"coalesce({scan.alias}.{n_col}, 0)", c)) for c in node.count]
            if agg:
                total = (f"coalesce({scan.alias}.{agg_col}, 0)" if agg.fn == "sum" else f"{scan.alias}.{agg_col}")
                parts += [_leaf(self.predicate(total, c)) for c in agg.comparisons]
            return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"
        outer = None
        outer = outer or (f"select person_id, count(*) as n{f', {agg.fn}(v) as agg' if agg else ''}\n"
                 f"    from (\n"
                 f"        select e.person_id, e.message_id{value}\n"
                 f"        from {_relation(self.schema.events)} as e\n"
                 f"        where {where}\n"
                 f"        group by e.person_id, e.message_id\n"
                 f"    )\n"
                 f"    group by person_id")
        self.ctes.append((cte, outer))
        scope.joins.append(f"left join {_quote(cte)} as {alias} on {alias}.person_id = p.person_id")
        parts = [_leaf(self.predicate(f"coalesce({alias}.n, 0)", c)) for c in node.count]
        if agg:
            total = f"coalesce({alias}.agg, 0)" if agg.fn == "sum" else f"{alias}.agg"
            parts += [_leaf(self.predicate(total, c)) for c in agg.comparisons]
        return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"
