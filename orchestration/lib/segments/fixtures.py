"""Fixture tests for segments: a few people and their timelines in, the expected members out.

Next to a segment, `segments/tests/<segment_name>.yml` holds one or more cases. The runner loads
them into the evaluation relations of an in-memory DuckDB (`dsl.evaluation_ddl`), runs the
segment's real compiled query at the case's `as_of` and reports who is missing and who is unexpected::

    segment: cart_abandoners_electronics     # optional: defaults to the file name
    as_of: 2024-06-01T12:00:00Z              # default for every case (a case may set its own)
    cases:
      - name: an add 2 days ago without an order is abandoned
        people:
          - id: ann
            attributes: {gender: female, birth_date: 1990-05-01,
                         city_type: {value: urban, provenance: inferred, confidence: 0.9}}
            scores: {tier: highly_engaged, engagement: 81}
            affinity: {Electronics: 72}
            events:
              - {event: Product Added, at: -2d, properties: {category: Electronics, price: 99}}
              - {event: Product Viewed, at: -3d, properties: {category: Electronics}}
              - {event: Product Viewed, at: -4d, properties: {category: Electronics},
                 product: {is_new_arrival: true}, message_id: v-1}
          - id: bob                          # no events: never a member
        expect: [ann]

Times (`at`, `as_of`) are ISO-8601 timestamps (UTC when no offset), or, for `at`, relative to the
case's `as_of`: `-2h`, `-7d`, `-29d23h59m59s`, `+1h` (a future event), or `as_of` itself (units w, d,
h, m, s). An event's `message_id` defaults to `<person>#<n>`; repeating one is a redelivery. Typed
property columns (price, category, total, ...) are filled from `properties` the way staging does.
Attributes are plain values or `{value, provenance, confidence}` for enriched attributes; `age` is
computed from `birth_date`. A person without `scores` has no scores row.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Mapping

import duckdb

from orchestration.lib.core import YamlFileError, load_yaml, to_utc
from orchestration.lib.enrichment import PROVENANCES
from orchestration.lib.segments.dsl import (
    DEFAULT_SCHEMA,
    DURATION_UNITS,
    Catalog,
    CompiledSegment,
    Issue,
    Schema,
    Segment,
    SegmentError,
    compile_segment,
    convert_value,
    evaluation_ddl,
    load_catalog,
    quote_identifier,
    quote_relation,
    with_article,
    yaml_files_in,
)

FIXTURE_KEYS = ("segment", "as_of", "cases")
CASE_KEYS = ("name", "as_of", "people", "expect")
PERSON_KEYS = ("id", "attributes", "scores", "affinity", "events")
EVENT_KEYS = ("event", "at", "properties", "product", "message_id", "type")
_RELATIVE_RE = re.compile(r"^([+-])((?:\d+[wdhms])+)$")
_UNIT_SECONDS = {**DURATION_UNITS, "s": 1}


def parse_offset(text: str) -> timedelta:
    """`-2h` -> -2 hours, `+1d12h` -> 36 hours, `-29d23h59m59s`; ValueError otherwise."""
    m = _RELATIVE_RE.match(text.strip()) if isinstance(text, str) else None
    if not m:
        raise ValueError(f"expected a relative time like -2h, -7d, -29d23h59m59s or +1h, got {text!r}")
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in re.findall(r"(\d+)([wdhms])", m.group(2)))
    return timedelta(seconds=seconds if m.group(1) == "+" else -seconds)


@dataclass(frozen=True)
class FixtureEvent:
    message_id: str
    event: str
    at: datetime
    properties: Mapping[str, Any]
    product: Mapping[str, Any]
    type: str = "track"


@dataclass(frozen=True)
class FixturePerson:
    id: str
    attributes: Mapping[str, tuple]          # name -> (value, provenance, confidence)
    scores: Mapping[str, Any] | None         # None: no scores row
    affinity: Mapping[str, float]
    events: tuple[FixtureEvent, ...]


@dataclass(frozen=True)
class FixtureCase:
    name: str
    as_of: datetime
    people: tuple[FixturePerson, ...]
    expect: tuple[str, ...]


@dataclass(frozen=True)
class Fixture:
    source: str
    segment: str
    cases: tuple[FixtureCase, ...]


@dataclass(frozen=True)
class CaseResult:
    name: str
    as_of: datetime
    expected: tuple[str, ...]
    actual: tuple[str, ...]
    error: str | None = None           # the query failed (the message)

    @property
    def missing(self) -> list[str]:
        """Expected members the segment did not return."""
        return sorted(set(self.expected) - set(self.actual))

    @property
    def unexpected(self) -> list[str]:
        """Members the segment returned that were not expected."""
        return sorted(set(self.actual) - set(self.expected))

    @property
    def passed(self) -> bool:
        return self.error is None and not self.missing and not self.unexpected

    def describe(self) -> str:
        if self.error is not None:
            return f"ERROR {self.name}: {self.error}"
        if self.passed:
            return f"PASS  {self.name}"
        parts = []
        if self.missing:
            parts.append(f"missing {self.missing}")
        if self.unexpected:
            parts.append(f"unexpected {self.unexpected}")
        return f"FAIL  {self.name} (as_of {self.as_of.isoformat()}): {'; '.join(parts)}"


@dataclass
class FixtureResult:
    """One fixture file: its cases' results, or the errors that kept it from running."""
    source: str
    segment: str | None
    cases: list[CaseResult] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.errors and bool(self.cases) and all(c.passed for c in self.cases)

    @property
    def failures(self) -> list[CaseResult]:
        return [c for c in self.cases if not c.passed]

    def report(self) -> str:
        head = f"{self.source} ({self.segment or '?'}): " + (
            "passed" if self.passed else "errors" if self.errors else
            f"{len(self.failures)} of {len(self.cases)} case(s) failed")
        lines = [head] + [f"  {i}" for i in self.errors] + [f"  {c.describe()}" for c in self.cases]
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ parse

class FixtureParser:
    def __init__(self, source: str, schema: Schema):
        self.source = source
        self.schema = schema
        self.errors: list[Issue] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(Issue(self.source, path, message))

    def unknown_keys(self, node: dict, allowed, path: str) -> None:
        for key in node:
            if key not in allowed:
                self.error(f"{path}.{key}" if path else str(key),
                           f"unknown key {key!r}; expected some of: {', '.join(allowed)}")

    def timestamp(self, value, path: str) -> datetime | None:
        try:
            return to_utc(value)
        except (ValueError, TypeError):
            self.error(path, f"expected an ISO-8601 timestamp such as 2024-06-01T12:00:00Z, got {value!r}")
            return None

    def fixture(self, doc, default_segment: str | None) -> Fixture | None:
        if not isinstance(doc, dict):
            self.error("", f"expected a mapping with keys {', '.join(FIXTURE_KEYS)}")
            return None
        if "cases" not in doc:          # a file with a single case
            doc = {"segment": doc.get("segment"), "as_of": doc.get("as_of"),
                   "cases": [{k: v for k, v in doc.items() if k not in ("segment", "as_of")}]}
            doc = {k: v for k, v in doc.items() if v is not None}
        self.unknown_keys(doc, FIXTURE_KEYS, "")
        segment = doc.get("segment", default_segment)
        if not isinstance(segment, str) or not segment:
            self.error("segment", f"expected the name of the segment under test, got {segment!r}")
        default_as_of = self.timestamp(doc["as_of"], "as_of") if "as_of" in doc else None
        cases = doc.get("cases")
        if not isinstance(cases, list) or not cases:
            self.error("cases", "expected a non-empty list of cases")
            return None
        parsed = [self.case(c, f"cases[{i}]", default_as_of, i) for i, c in enumerate(cases)]
        if self.errors:
            return None
        return Fixture(self.source, segment, tuple(parsed))

    def case(self, node, path: str, default_as_of, index: int) -> FixtureCase | None:
        if not isinstance(node, dict):
            self.error(path, "expected a mapping with name, as_of, people, expect")
            return None
        self.unknown_keys(node, CASE_KEYS, path)
        name = str(node.get("name", f"case {index + 1}"))
        as_of = self.timestamp(node["as_of"], f"{path}.as_of") if "as_of" in node else default_as_of
        if as_of is None and "as_of" not in node:
            self.error(f"{path}.as_of", "missing; give as_of in the case or at the top of the file")
        people_doc = node.get("people", [])
        if not isinstance(people_doc, list):
            self.error(f"{path}.people", "expected a list of people")
            people_doc = []
        people, ids = [], set()
        for i, p in enumerate(people_doc):
            person = self.person(p, f"{path}.people[{i}]", as_of)
            if person is not None:
                if person.id in ids:
                    self.error(f"{path}.people[{i}].id", f"duplicate person id {person.id!r}")
                ids.add(person.id)
                people.append(person)
        expect = node.get("expect")
        if not isinstance(expect, list) or not all(isinstance(x, (str, int)) for x in expect):
            self.error(f"{path}.expect", f"expected the list of person ids that are members (may be []), got "
                                         f"{expect!r}")
            expect = []
        expect = [str(x) for x in expect]
        for j, pid in enumerate(expect):
            if pid not in ids and len(people) == len(people_doc):
                self.error(f"{path}.expect[{j}]", f"{pid!r} is not one of this case's people")
        if as_of is None:
            return None
        return FixtureCase(name, as_of, tuple(people), tuple(expect))

    def person(self, node, path: str, as_of) -> FixturePerson | None:
        if not isinstance(node, dict) or "id" not in node or not isinstance(node["id"], (str, int)):
            self.error(path, "expected a mapping with an id (and attributes, scores, affinity, events)")
            return None
        self.unknown_keys(node, PERSON_KEYS, path)
        pid = str(node["id"])
        attributes = {}
        for name, spec in self.mapping(node, "attributes", path).items():
            p = f"{path}.attributes.{name}"
            attr = self.schema.attributes.get(name)
            if name == "age":
                self.error(p, "age is computed from birth_date at as_of: give birth_date")
                continue
            if attr is None:
                self.error(p, f"unknown attribute {name!r}; expected one of: "
                              f"{', '.join(sorted(a for a in self.schema.attributes if a != 'age'))}")
                continue
            provenance, confidence = None, None
            if isinstance(spec, dict):
                self.unknown_keys(spec, ("value", "provenance", "confidence"), p)
                if ("provenance" in spec or "confidence" in spec) and not attr.enriched:
                    self.error(p, f"{name} has no provenance or confidence columns in the schema (it is "
                                  "declared-only)")
                provenance, confidence, spec = spec.get("provenance"), spec.get("confidence"), spec.get("value")
                if provenance is not None and provenance not in PROVENANCES:
                    self.error(f"{p}.provenance", f"expected one of: {', '.join(PROVENANCES)}, got {provenance!r}")
                if confidence is not None and (isinstance(confidence, bool)
                                               or not isinstance(confidence, (int, float))):
                    self.error(f"{p}.confidence", f"expected a number between 0 and 1, got {confidence!r}")
            value = self.value(spec, attr.type, p, name)
            if value is not None and attr.enriched:
                provenance = provenance or "declared"
                confidence = 1.0 if confidence is None else float(confidence)
            attributes[name] = (value, provenance, confidence)
        scores = None
        if "scores" in node:
            scores = {}
            for name, value in self.mapping(node, "scores", path).items():
                p = f"{path}.scores.{name}"
                if name not in self.schema.scores:
                    self.error(p, f"unknown score {name!r}; expected one of: {', '.join(sorted(self.schema.scores))}"
                                  " (affinity goes under affinity:)")
                    continue
                scores[name] = self.value(value, self.schema.scores[name], p, name)
        affinity = {}
        for category, value in self.mapping(node, "affinity", path).items():
            affinity[str(category)] = self.value(value, "number", f"{path}.affinity.{category}", str(category))
        events = []
        events_doc = node.get("events", [])
        if not isinstance(events_doc, list):
            self.error(f"{path}.events", "expected a list of events")
            events_doc = []
        for i, ev in enumerate(events_doc):
            e = self.event(ev, f"{path}.events[{i}]", as_of, f"{pid}#{i + 1}")
            if e is not None:
                events.append(e)
        return FixturePerson(pid, attributes, scores, affinity, tuple(events))

    def mapping(self, node, key, path) -> dict:
        value = node.get(key, {})
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(f"{path}.{key}", f"expected a mapping, got {value!r}")
            return {}
        return value

    def value(self, value, type_: str, path: str, what: str):
        if value is None:
            return None
        try:
            return convert_value(value, type_)
        except ValueError as exc:
            self.error(path, f"{what} is {with_article(type_)}, {exc}")
            return None

    def event(self, node, path: str, as_of, default_id: str) -> FixtureEvent | None:
        if not isinstance(node, dict):
            self.error(path, "expected a mapping with event, at (and properties, product, message_id)")
            return None
        self.unknown_keys(node, EVENT_KEYS, path)
        name = node.get("event")
        if not isinstance(name, str) or not name:
            self.error(f"{path}.event", f"expected an event name, got {name!r}")
        at = node.get("at")
        when = None
        if at is None:
            self.error(f"{path}.at", "missing; expected a timestamp or a time relative to as_of (-2h, -7d)")
        elif at == "as_of":
            when = as_of
        elif isinstance(at, str) and at.strip()[:1] in "+-":
            try:
                offset = parse_offset(at)
                when = as_of + offset if as_of is not None else None
            except ValueError as exc:
                self.error(f"{path}.at", str(exc))
        else:
            when = self.timestamp(at, f"{path}.at")
        properties = self.mapping(node, "properties", path)
        product = self.mapping(node, "product", path)
        for key in product:
            if key not in self.schema.product_columns:
                self.error(f"{path}.product.{key}", f"unknown product column {key!r}; expected one of: "
                                                    f"{', '.join(sorted(self.schema.product_columns))}")
        message_id = node.get("message_id", default_id)
        if not isinstance(message_id, (str, int)):
            self.error(f"{path}.message_id", f"expected text, got {message_id!r}")
        if not isinstance(name, str) or when is None:
            return None
        return FixtureEvent(str(message_id), name, when, properties, product, str(node.get("type", "track")))


def parse_fixture(doc, source: str = "<fixture>", schema: Schema = DEFAULT_SCHEMA,
                  default_segment: str | None = None) -> Fixture:
    """Validate a fixture document (parsed YAML); SegmentError lists every problem with its path."""
    parser = FixtureParser(source, schema)
    fixture = parser.fixture(doc, default_segment)
    if parser.errors:
        raise SegmentError(parser.errors)
    return fixture


def load_fixture(path: str | Path, schema: Schema = DEFAULT_SCHEMA) -> Fixture:
    path = Path(path)
    try:
        doc = load_yaml(path)
    except YamlFileError as exc:
        raise SegmentError(Issue(str(path), "", f"cannot read the fixture: {exc.reason}")) from exc
    return parse_fixture(doc, str(path), schema, default_segment=path.stem)


# ---------------------------------------------------------------------------------------------- running

def staged_value(value, type_: str):
    """A property value as staging types it (try_cast: a value that does not fit is NULL)."""
    if value is None:
        return None
    try:
        if type_ in ("number", "integer"):
            if isinstance(value, bool):
                return None
            return float(value) if type_ == "number" else int(value)
        if type_ == "boolean":
            return value if isinstance(value, bool) else None
        if type_ == "timestamp":
            return to_utc(value)
        if type_ == "date":
            return convert_value(value, "date")
    except (ValueError, TypeError):
        return None
    return str(value) if not isinstance(value, str) else value


def insert_rows(con, relation: str, rows: list[Mapping[str, Any]]) -> None:
    """All rows in one statement; the columns are the union of the rows' keys (absent ones NULL)."""
    if not rows:
        return
    columns = list(dict.fromkeys(c for row in rows for c in row))
    marks = ", ".join(["(" + ", ".join("?" for _ in columns) + ")"] * len(rows))
    con.execute(f"insert into {quote_relation(relation)} ({', '.join(quote_identifier(c) for c in columns)}) "
                f"values {marks}", [row.get(c) for row in rows for c in columns])


def load_case(con, case: FixtureCase, schema: Schema = DEFAULT_SCHEMA) -> None:
    """(Re)create the evaluation relations on `con` and fill them with the case's people and events."""
    for ddl in evaluation_ddl(schema, replace=True):
        con.execute(ddl)
    profiles, scores, affinity, events = [], [], [], []
    for person in case.people:
        row: dict[str, Any] = {"person_id": person.id}
        for name, (value, provenance, confidence) in person.attributes.items():
            row[name] = value
            if schema.attributes[name].has_provenance:
                row[f"{name}__provenance"] = provenance
            if schema.attributes[name].has_confidence:
                row[f"{name}__confidence"] = confidence
        profiles.append(row)
        if person.scores is not None:
            scores.append({"person_id": person.id, **person.scores})
        for category, value in person.affinity.items():
            affinity.append({"person_id": person.id, "category": category, "affinity": value})
        for ev in person.events:
            row = {"message_id": ev.message_id, "person_id": person.id, "event_name": ev.event,
                   "event_type": ev.type, "occurred_at": ev.at,
                   "properties": json.dumps(dict(ev.properties), default=str)}
            for key, value in ev.properties.items():
                prop = schema.event_properties.get(key)
                if prop is not None:
                    row[prop.column] = staged_value(value, prop.type)
            for key, value in ev.product.items():
                prop = schema.product_columns[key]
                row[prop.column] = staged_value(value, prop.type)
            events.append(row)
    insert_rows(con, schema.profiles, profiles)
    insert_rows(con, schema.score_table, scores)
    insert_rows(con, schema.affinity, affinity)
    insert_rows(con, schema.events, events)


def run_case(case: FixtureCase, compiled: CompiledSegment, schema: Schema = DEFAULT_SCHEMA,
             con=None) -> CaseResult:
    """Evaluate one case on `con` (default: a fresh in-memory DuckDB); its relations are replaced."""
    own = con is None
    con = duckdb.connect(":memory:") if own else con
    try:
        load_case(con, case, schema)
        actual = tuple(compiled.members(con, case.as_of))
        return CaseResult(case.name, case.as_of, case.expect, actual)
    except duckdb.Error as exc:
        return CaseResult(case.name, case.as_of, case.expect, (), error=f"{type(exc).__name__}: {exc}")
    finally:
        if own:
            con.close()


def run_fixture(fixture: Fixture, segments: Mapping[str, Segment] | Catalog,
                schema: Schema = DEFAULT_SCHEMA) -> FixtureResult:
    """Run every case of a fixture against the segment it names (compiled with its in_segment
    dependencies from `segments`)."""
    result = FixtureResult(fixture.source, fixture.segment)
    if isinstance(segments, Catalog):
        broken = segments.result(fixture.segment)
        if broken is not None and not broken.ok:
            result.errors += broken.errors
            return result
        schema, segments = segments.schema, segments.segments
    if fixture.segment not in segments:
        result.errors.append(Issue(fixture.source, "segment", f"unknown segment {fixture.segment!r}; expected one "
                                                               f"of: {', '.join(sorted(segments)) or '(none)'}"))
        return result
    try:
        compiled = compile_segment(fixture.segment, segments, schema)
    except SegmentError as exc:
        result.errors += exc.issues
        return result
    con = duckdb.connect(":memory:")          # one in-memory database per file: each case replaces its tables
    try:
        result.cases = [run_case(case, compiled, schema, con) for case in fixture.cases]
    finally:
        con.close()
    return result


def run_fixture_file(path: str | Path, segments: Mapping[str, Segment] | Catalog,
                     schema: Schema = DEFAULT_SCHEMA) -> FixtureResult:
    """Load and run one fixture file; a broken file or segment is reported in `errors`, never raised."""
    if isinstance(segments, Catalog):
        schema = segments.schema
    try:
        fixture = load_fixture(path, schema)
    except SegmentError as exc:
        return FixtureResult(str(path), Path(path).stem, errors=exc.issues)
    return run_fixture(fixture, segments, schema)


def fixture_files(tests_dir: str | Path) -> list[Path]:
    """The fixture files of a folder (*.yml, *.yaml), sorted; none if the folder does not exist."""
    return yaml_files_in(tests_dir) if Path(tests_dir).is_dir() else []


class NoFixturesError(ValueError):
    """Nothing to test: no fixture file, or none for a segment of the folder (`results`: those that ran)."""

    def __init__(self, message: str, results: list[FixtureResult] | None = None):
        super().__init__(message)
        self.results = results or []


def run_fixture_dir(segments_dir: str | Path, schema: Schema = DEFAULT_SCHEMA,
                    tests_dir: str | Path | None = None) -> list[FixtureResult]:
    """Validate the segments of `segments_dir` and run every fixture of `tests_dir` (default
    `<segments_dir>/tests`) against them. NoFixturesError when there is nothing to test: no fixture file,
    or no fixture of any segment of `segments_dir` (the message says where it looked)."""
    catalog = load_catalog(segments_dir, schema)
    tests_dir = Path(tests_dir) if tests_dir is not None else Path(segments_dir) / "tests"
    files = fixture_files(tests_dir)
    if not files:
        raise NoFixturesError(f"no fixtures in {tests_dir}/*.yml")
    results = [run_fixture_file(p, catalog) for p in files]
    known = {r.name for r in catalog.results if r.name}
    if not any(r.segment in known for r in results):
        raise NoFixturesError(f"no fixtures in {tests_dir}/*.yml for the segments of {segments_dir} "
                              f"({', '.join(sorted(known)) or 'none'})", results)
    return results


def segments_without_fixtures(names: Iterable[str], tests_dir: str | Path) -> list[str]:
    """The segment names that have no `<tests_dir>/<name>.yml` (or .yaml)."""
    have = {p.stem for p in fixture_files(tests_dir)}
    return sorted(n for n in names if n not in have)
