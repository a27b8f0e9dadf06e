"""A parsed YAML segment document -> `Segment` (the AST), with every error and warning of the file at
once, each at its path inside the YAML (`rules.all[1].where.price`) and with a "did you mean"."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from orchestration.lib.core import sha256_hex
from orchestration.lib.enrichment import PROVENANCES
from orchestration.lib.segments.dsl.ast import (
    AT_LEAST_ONCE,
    Aggregate,
    AllOf,
    AnyOf,
    AttributeCondition,
    Comparison,
    Field,
    FollowUp,
    InSegment,
    Not,
    Performed,
    PropertyFilter,
    ScoreCondition,
    Segment,
)
from orchestration.lib.segments.dsl.issues import Issue, did_you_mean
from orchestration.lib.segments.dsl.schema import Schema
from orchestration.lib.segments.dsl.values import (
    convert_value,
    describe_value,
    type_of_value,
    with_article,
)

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

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_PROPERTY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DURATION_RE = re.compile(r"^(\d+)([mhdw])$")


def parse_duration(text) -> timedelta:
    """`30m`, `24h`, `7d`, `2w` -> timedelta; ValueError otherwise."""
    m = _DURATION_RE.match(text) if isinstance(text, str) else None
    if not m or int(m.group(1)) <= 0:
        raise ValueError(f"bad duration {text!r}; expected a whole number > 0 followed by m, h, d or w "
                         "(30m, 24h, 7d, 2w)")
    return timedelta(seconds=int(m.group(1)) * DURATION_UNITS[m.group(2)])


def _child_path(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def rule_version(name, rules) -> str:
    """12 hex digits of the hash of a definition's name and rules (not its description or owner)."""
    canonical = json.dumps({"name": name, "rules": rules}, sort_keys=True, default=str, ensure_ascii=False)
    return sha256_hex(canonical)[:12]


class SegmentParser:
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
            self.error("", f"expected a mapping with keys {', '.join(TOP_LEVEL_KEYS)}, got {describe_value(doc)}")
            return None
        for key in doc:
            if key not in TOP_LEVEL_KEYS:
                self.error(str(key), f"unknown key {key!r}{did_you_mean(key, TOP_LEVEL_KEYS)}; expected some of: "
                                     f"{', '.join(TOP_LEVEL_KEYS)}")
        name = doc.get("name")
        if name is None:
            self.error("name", "missing; expected the segment's unique snake_case name")
        elif not isinstance(name, str) or not NAME_RE.match(name):
            self.error("name", "expected a snake_case name (a-z, 0-9, _; starting with a letter), got "
                               f"{describe_value(name)}")
        description = doc.get("description", "")
        if description is None or not isinstance(description, str):
            self.error("description", f"expected text, got {describe_value(description)}")
        owner = doc.get("owner")
        if owner is not None and not isinstance(owner, str):
            self.error("owner", f"expected text (a team or a person), got {describe_value(owner)}")
        tags = doc.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            self.error("tags", f"expected a list of text tags, got {describe_value(tags)}")
        expect_nonempty = doc.get("expect_nonempty", False)
        if not isinstance(expect_nonempty, bool):
            self.error("expect_nonempty", f"expected true or false, got {describe_value(expect_nonempty)}")
        if "rules" not in doc:
            self.error("rules", f"missing; expected a condition (one of: {', '.join(BLOCKS)})")
            rules = None
        else:
            rules = self.condition(doc["rules"], "rules")
        if self.errors:
            return None
        return Segment(name=name, rules=rules, description=(description or "").strip(), owner=owner,
                       tags=tuple(tags), expect_nonempty=expect_nonempty, source=self.source,
                       references=tuple(self.references), version=rule_version(name, doc["rules"]), doc=doc)

    # --------------------------------------------------------------------------- conditions
    def condition(self, node, path: str):
        if not isinstance(node, dict) or not node:
            self.error(path, f"expected a condition: a mapping with one of {', '.join(BLOCKS)}, got "
                             f"{describe_value(node)}")
            return None
        blocks = [k for k in node if k in BLOCKS]
        if not blocks:
            for key in node:
                self.error(_child_path(path, key), f"unknown block {key!r}{did_you_mean(key, BLOCKS)}; expected one "
                                                   f"of: {', '.join(BLOCKS)}")
            return None
        if len(blocks) > 1:
            self.error(path, f"one block per condition, got {', '.join(blocks)}; combine conditions with "
                             "all: [..] or any: [..]")
            return None
        parse_block = {"all": self.all_block, "any": self.any_block, "not": self.not_block,
                       "attribute": self.attribute_block, "score": self.score_block,
                       "performed": self.performed_block, "in_segment": self.in_segment_block}[blocks[0]]
        return parse_block(node, path)

    def group_block(self, node, path, kind, node_type):
        for key in node:
            if key != kind:
                self.error(_child_path(path, key), f"unexpected key {key!r} beside {kind!r}; an {kind} block holds "
                                                   "only its list of conditions")
        items = node[kind]
        if not isinstance(items, list) or not items:
            self.error(_child_path(path, kind), f"expected a non-empty list of conditions, got {describe_value(items)}")
            return None
        children = [self.condition(c, f"{path}.{kind}[{i}]") for i, c in enumerate(items)]
        return None if any(c is None for c in children) else node_type(tuple(children))

    def all_block(self, node, path):
        return self.group_block(node, path, "all", AllOf)

    def any_block(self, node, path):
        return self.group_block(node, path, "any", AnyOf)

    def not_block(self, node, path):
        for key in node:
            if key != "not":
                self.error(_child_path(path, key), f"unexpected key {key!r} beside 'not'; a not block holds one "
                                                   "condition")
        child = self.condition(node["not"], _child_path(path, "not"))
        return None if child is None else Not(child)

    def attribute_block(self, node, path):
        name = node["attribute"]
        spec = None
        if not isinstance(name, str):
            self.error(_child_path(path, "attribute"), f"expected an attribute name, got {describe_value(name)}")
        else:
            spec = self.schema.attributes.get(name)
            if spec is None:
                self.error(_child_path(path, "attribute"),
                           f"unknown attribute {name!r}{did_you_mean(name, self.schema.attributes)}; expected one "
                           f"of: {', '.join(sorted(self.schema.attributes))}")
        provenance = self.provenance(node, path) if "provenance" in node else None
        min_confidence = self.min_confidence(node["min_confidence"], _child_path(path, "min_confidence")) \
            if "min_confidence" in node else None
        ops = {k: v for k, v in node.items() if k not in ("attribute", "provenance", "min_confidence")}
        label = f"{name}" if isinstance(name, str) else "the attribute"
        comparisons = self.comparisons(ops, path, spec.type if spec else None, label, OPERATORS,
                                       extra=("provenance", "min_confidence"))
        if spec is None or comparisons is None:
            return None
        self.known_values(ops, comparisons, path, name, self.schema.attribute_values.get(name))
        return AttributeCondition(name, spec, comparisons, provenance, min_confidence)

    def provenance(self, node, path) -> tuple[str, ...] | None:
        provenance = node["provenance"]
        provenance_path = _child_path(path, "provenance")
        if isinstance(provenance, str):
            provenance = [provenance]
        if not isinstance(provenance, list) or not provenance:
            self.error(provenance_path, f"expected a list of provenances (some of {', '.join(PROVENANCES)}), got "
                                        f"{describe_value(node['provenance'])}")
            return None
        for i, value in enumerate(provenance):
            if value not in PROVENANCES:
                self.error(f"{provenance_path}[{i}]", f"unknown provenance {describe_value(value)}"
                                                      f"{did_you_mean(value, PROVENANCES)}; expected one of: "
                                                      f"{', '.join(PROVENANCES)}")
        return tuple(provenance)

    def min_confidence(self, value, path) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            self.error(path, f"expected a number between 0 and 1, got {describe_value(value)}")
        return float(value) if isinstance(value, (int, float)) else None

    def score_block(self, node, path):
        name = node["score"]
        score_path = _child_path(path, "score")
        type_ = None
        affinity = False
        if not isinstance(name, str):
            self.error(score_path, f"expected a score name, got {describe_value(name)}")
        elif name.startswith(AFFINITY_PREFIX):
            affinity = True
            name = name[len(AFFINITY_PREFIX):]
            if not name.strip():
                self.error(score_path, "expected affinity.<Category>, e.g. affinity.Electronics")
            else:
                type_ = "number"
        elif name in self.schema.scores:
            type_ = self.schema.scores[name]
        else:
            self.error(score_path, f"unknown score {name!r}{did_you_mean(name, self.schema.scores)}; expected one "
                                   f"of: {', '.join(sorted(self.schema.scores))}, or affinity.<Category>")
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
        for (op, _), comparison in zip(ops.items(), comparisons):
            if comparison.op not in ("equals", "not_equals", "in", "not_in"):
                continue
            for v in comparison.value if isinstance(comparison.value, list) else [comparison.value]:
                if v not in known:
                    self.warn(_child_path(path, op), f"{v!r} is not a known value of {what}{did_you_mean(v, known)}; "
                                                     f"known: {', '.join(known)} (comparisons are exact and "
                                                     "case-sensitive)")

    def in_segment_block(self, node, path):
        for key in node:
            if key != "in_segment":
                self.error(_child_path(path, key), f"unexpected key {key!r} beside 'in_segment'")
        name = node["in_segment"]
        reference_path = _child_path(path, "in_segment")
        if not isinstance(name, str) or not NAME_RE.match(name):
            self.error(reference_path, f"expected the name of another segment, got {describe_value(name)}")
            return None
        self.references.append((name, reference_path))
        return InSegment(name)

    def performed_block(self, node, path):
        for key in node:
            if key not in PERFORMED_KEYS:
                self.error(_child_path(path, key), f"unknown key {key!r} in a performed condition"
                                                   f"{did_you_mean(key, PERFORMED_KEYS)}; expected some of: "
                                                   f"{', '.join(PERFORMED_KEYS)}")
        errors_before = len(self.errors)
        events = self.event_names(node["performed"], _child_path(path, "performed"))
        where = self.where(node.get("where", {}), _child_path(path, "where"))
        within = between = None
        if "within" in node and "between" in node:
            self.error(path, "give within or between, not both")
        if "within" in node:
            within = self.duration(node["within"], _child_path(path, "within"))
        if "between" in node:
            between = self.window(node["between"], _child_path(path, "between"))
        count = AT_LEAST_ONCE
        if "count" in node:
            count = self.count(node["count"], _child_path(path, "count"))
        aggregate = self.aggregate(node["aggregate"], _child_path(path, "aggregate")) if "aggregate" in node else None
        follow_up = self.follow_up(node["not_followed_by"], _child_path(path, "not_followed_by")) \
            if "not_followed_by" in node else None
        if len(self.errors) > errors_before:
            return None
        return Performed(events, where, within, between, count, aggregate, follow_up)

    # --------------------------------------------------------------------------- pieces
    def event_names(self, value, path) -> tuple[str, ...]:
        names = None
        if isinstance(value, str) and value.strip():
            names = [value]
        elif isinstance(value, dict) and set(value) == {"any_of"} and isinstance(value["any_of"], list) \
                and value["any_of"] and all(isinstance(v, str) and v.strip() for v in value["any_of"]):
            names = value["any_of"]
        if names is None:
            self.error(path, f"expected an event name or {{any_of: [name, ..]}}, got {describe_value(value)}")
            return ()
        known = self.schema.event_names
        for n in names:
            if known and n not in known:
                self.warn(path, f"event {n!r} is not a known event name{did_you_mean(n, known)}; it matches only "
                                "events named exactly so")
        return tuple(dict.fromkeys(names))

    def duration(self, value, path) -> timedelta | None:
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.error(path, str(exc))
            return None

    def window(self, value, path):
        if not isinstance(value, list) or len(value) != 2:
            self.error(path, f"expected [start, end] timestamps, got {describe_value(value)}")
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

    def field(self, key, path, json_type=None) -> Field | None:
        """A property (typed column, catalog column or JSON key); a JSON key has type `json_type` (the type
        of the value it is compared with), else string."""
        if not isinstance(key, str):
            self.error(path, f"expected a property name, got {describe_value(key)}")
            return None
        if key.startswith("product."):
            column = key[len("product."):]
            prop = self.schema.product_columns.get(column)
            if prop is None:
                self.error(path, f"unknown product column {column!r}{did_you_mean(column, self.schema.product_columns)}"
                                 f"; expected one of: {', '.join(sorted(self.schema.product_columns))}")
                return None
            return Field(key, prop.column, prop.type)
        prop = self.schema.event_properties.get(key)
        if prop is not None:
            return Field(key, prop.column, prop.type)
        if not _PROPERTY_RE.match(key):
            self.error(path, f"expected a property name (letters, digits, _) or product.<column>, got {key!r}")
            return None
        return Field(key, None, json_type or "string")

    def where(self, value, path) -> tuple[PropertyFilter, ...]:
        if not isinstance(value, dict):
            self.error(path, "expected a mapping of property filters like {category: Electronics}, got "
                             f"{describe_value(value)}")
            return ()
        filters = []
        for key, spec in value.items():
            filter_path = _child_path(path, key)
            ops = spec if isinstance(spec, dict) else {"equals": spec}
            bare_value_path = filter_path if not isinstance(spec, dict) else None
            json_type = None
            for op, v in ops.items():          # JSON property: compare as the type of the (first) value
                sample = v[0] if op in ("in", "not_in", "between") and isinstance(v, list) and v else v
                if op != "is_null":
                    json_type = type_of_value(sample)
                    break
            f = self.field(key, filter_path, json_type)
            if f is None:
                continue
            comparisons = self.comparisons(ops, filter_path, f.type, key, OPERATORS, is_property=True,
                                           bare_value_path=bare_value_path, json_property=f.column is None)
            if comparisons is not None:
                filters.append(PropertyFilter(f, comparisons))
        return tuple(filters)

    def count(self, value, path):
        if not isinstance(value, dict) or not value:
            self.error(path, f"expected a comparison like {{gte: 2}} or {{eq: 0}}, got {describe_value(value)}")
            return None
        return self.comparisons(value, path, "count", "count", COUNT_OPERATORS)

    def aggregate(self, value, path):
        if not isinstance(value, dict):
            self.error(path, f"expected {{fn: sum|avg|min|max, of: property, gte: n}}, got {describe_value(value)}")
            return None
        fn = value.get("fn")
        if fn not in AGGREGATE_FUNCTIONS:
            self.error(_child_path(path, "fn"), f"expected one of: {', '.join(AGGREGATE_FUNCTIONS)}, got "
                                                f"{describe_value(fn)}")
        of = None
        if "of" not in value:
            self.error(_child_path(path, "of"), "missing; expected the numeric property to aggregate, e.g. total")
        else:
            of = self.field(value["of"], _child_path(path, "of"), "number")
            if of is not None and of.type not in ("number", "integer"):
                self.error(_child_path(path, "of"), f"{of.key} is {with_article(of.type)}; expected a numeric "
                                                    "property")
                of = None
        ops = {k: v for k, v in value.items() if k not in ("fn", "of")}
        comparisons = None
        if not ops:
            self.error(path, "expected a comparison of the aggregate, e.g. gte: 500")
        else:
            label = f"the {fn} of {value.get('of')}" if fn in AGGREGATE_FUNCTIONS else "the aggregate"
            comparisons = self.comparisons(ops, path, "number", label, COUNT_OPERATORS, extra=("fn", "of"))
        if fn not in AGGREGATE_FUNCTIONS or of is None or comparisons is None:
            return None
        return Aggregate(fn, of, comparisons)

    def follow_up(self, value, path):
        if not isinstance(value, dict):
            self.error(path, f"expected {{event: E2, within: D2, where: ..}}, got {describe_value(value)}")
            return None
        errors_before = len(self.errors)
        for key in value:
            if key not in FOLLOW_UP_KEYS:
                self.error(_child_path(path, key), f"unknown key {key!r}{did_you_mean(key, FOLLOW_UP_KEYS)}; "
                                                   f"expected some of: {', '.join(FOLLOW_UP_KEYS)}")
        events = ()
        if "event" not in value:
            self.error(_child_path(path, "event"), "missing; expected the event that rescues the occurrence")
        else:
            events = self.event_names(value["event"], _child_path(path, "event"))
        within = None
        if "within" not in value:
            self.error(_child_path(path, "within"), "missing; expected the grace period, e.g. 24h")
        else:
            within = self.duration(value["within"], _child_path(path, "within"))
        where = self.where(value.get("where", {}), _child_path(path, "where"))
        if len(self.errors) > errors_before:
            return None
        return FollowUp(events, within, where)

    # --------------------------------------------------------------------------- comparisons
    def comparisons(self, ops: dict, path, type_, what, allowed, extra=(), is_property=False,
                    bare_value_path=None, json_property=False):
        """Operator map -> comparisons. type_ None: the subject is unknown (already reported): only the
        operator names are checked. extra: the other keys allowed beside the operators (named in the
        error of an unknown operator). bare_value_path: the path of a bare `prop: value` (no operator
        key). json_property: a property read from the JSON `properties` (its type comes from its value)."""
        if not ops:
            self.error(path, f"expected an operator: one of {', '.join(allowed)}")
            return None
        out, ok = [], True
        for op, value in ops.items():
            op_path = bare_value_path or _child_path(path, op)
            if op not in allowed:
                besides = f" (options: {', '.join(extra)})" if extra else ""
                self.error(op_path, f"unknown operator {op!r}{did_you_mean(op, (*allowed, *extra))}; expected one "
                                    f"of: {', '.join(allowed)}{besides}")
                ok = False
                continue
            if type_ is None:
                continue
            comparison = self.comparison(op, value, op_path, type_, what, is_property=is_property,
                                         json_property=json_property)
            if comparison is None:
                ok = False
            else:
                out.append(comparison)
        return tuple(out) if ok and type_ is not None else None

    def comparison(self, op, value, path, type_, what, *, is_property, json_property):
        mismatch = "property type mismatch" if is_property else "type mismatch"
        if op == "eq":
            op = "equals"

        def convert(v, value_path):
            if type_ == "count":
                if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                    self.error(value_path, f"expected a whole number >= 0, got {describe_value(v)}")
                    raise ValueError
                return v
            try:
                return convert_value(v, type_)
            except ValueError as exc:
                if json_property:   # a property outside the typed columns: compared as the type of its first value
                    self.error(value_path, f"{mismatch}: {what} is compared as {with_article(type_)} here (its "
                                           f"first value), {exc}")
                else:
                    self.error(value_path, f"{mismatch}: {what} is {with_article(type_)}, {exc}")
                raise

        try:
            if op == "is_null":
                if not isinstance(value, bool):
                    self.error(path, f"expected true or false, got {describe_value(value)}")
                    return None
                return Comparison(op, value, type_)
            if op in ("contains", "starts_with") and type_ != "string":
                self.error(path, f"{op} applies to text; {what} is {with_article(type_)}")
                return None
            if op in ("gt", "gte", "lt", "lte", "between") and type_ == "boolean":
                self.error(path, f"{op} does not apply to booleans; use equals: true or equals: false")
                return None
            if op in ("in", "not_in"):
                if not isinstance(value, list) or not value:
                    self.error(path, f"expected a non-empty list of values, got {describe_value(value)}")
                    return None
                values = [convert(v, f"{path}[{i}]") for i, v in enumerate(value)]
                return Comparison(op, values, type_)
            if op == "between":
                if not isinstance(value, list) or len(value) != 2:
                    self.error(path, f"expected [low, high] (both included), got {describe_value(value)}")
                    return None
                low, high = convert(value[0], f"{path}[0]"), convert(value[1], f"{path}[1]")
                if low > high:
                    self.error(path, f"expected low <= high, got {describe_value(value[0])} > "
                                     f"{describe_value(value[1])}")
                    return None
                return Comparison(op, [low, high], type_)
            if isinstance(value, (list, dict)):
                self.error(path, f"expected a single value, got {describe_value(value)}"
                                 + (" (use in: [..] for several values)" if isinstance(value, list) else ""))
                return None
            return Comparison(op, convert(value, path), type_)
        except ValueError:
            return None
