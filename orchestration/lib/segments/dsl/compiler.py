"""A `Segment` (and the segments it names with in_segment) -> one DuckDB query (`compile_segment`).

User values never enter the SQL text: they are DuckDB parameters (`$p1`, ... and `$as_of`); identifiers
come from the schema only and are quoted. Logic is two-valued: every comparison on a missing value is
false, never NULL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Mapping

from orchestration.lib.core import to_utc
from orchestration.lib.segments.dsl.ast import (
    AllOf,
    AnyOf,
    AttributeCondition,
    Comparison,
    Field,
    InSegment,
    Not,
    Performed,
    ScoreCondition,
    Segment,
)
from orchestration.lib.segments.dsl.issues import Issue, SegmentError, did_you_mean
from orchestration.lib.segments.dsl.schema import (
    DEFAULT_SCHEMA,
    SQL_TYPES,
    Schema,
    quote_identifier,
    quote_relation,
)

# comparison parameters: integers compare as double (age >= 25.5 is fine); counts as bigint
PARAMETER_SQL_TYPES = {**SQL_TYPES, "integer": "double", "count": "bigint"}
COMPARISON_SQL = {"equals": "=", "not_equals": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


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
    order = dependency_order(name, segments)
    compiler = SqlCompiler(schema)
    for n in order:
        compiler.segment(segments[n])
    ctes = ",\n".join(f"{quote_identifier(cte)} as (\n    {body}\n)" for cte, body in compiler.ctes)
    sql = f"with\n{ctes}\nselect person_id from {quote_identifier(name)} order by person_id"
    return CompiledSegment(name, sql, compiler.params, compiler.uses_as_of, tuple(order[:-1]))


def members(con, name: str, segments: Mapping[str, Segment], as_of, schema: Schema = DEFAULT_SCHEMA) -> list[str]:
    """Compile and evaluate segment `name` at `as_of` on `con`: the person_ids of its members, sorted."""
    return compile_segment(name, segments, schema).members(con, as_of)


def dependency_order(name: str, segments: Mapping[str, Segment]) -> list[str]:
    """`name` and the segments it reaches by in_segment, dependencies first; SegmentError for an unknown
    segment or a cycle."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(n: str, trail: list[str]) -> None:
        if n not in segments:
            source = segments[trail[-2]].source if len(trail) > 1 else "<segments>"
            raise SegmentError(Issue(source, "", f"unknown segment {n!r}{did_you_mean(n, segments)}"))
        if state.get(n) == "done":
            return
        if state.get(n) == "active":
            cycle = trail[trail.index(n):]
            raise SegmentError(Issue(segments[n].source, "", "in_segment cycle: " + " -> ".join(cycle)))
        state[n] = "active"
        for dependency in segments[n].depends_on:
            visit(dependency, [*trail, dependency])
        state[n] = "done"
        order.append(n)

    visit(name, [name])
    return order


class SegmentScope:
    """The joins of one segment's select (one per event condition / affinity / the scores row)."""

    def __init__(self, name: str):
        self.name = name
        self.joins: list[str] = []
        self.counter = 0
        self.scores_joined = False
        self.scans: dict[tuple, SharedEventScan] = {}     # deduplicated relations: one scan per event filter

    def alias(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"


class SharedEventScan:
    """One scan of the events relation shared by every condition with the same events and filters:
    each condition adds its own window as `count(*) filter (...)` (and aggregate) columns. Rendered
    when the SQL is assembled, after every condition has added its columns."""

    def __init__(self, relation: str, conditions: list[str], alias: str):
        self.relation, self.conditions, self.alias = relation, conditions, alias
        self.columns: list[str] = []
        self.windows: list[str | None] = []

    def add(self, window: str | None, aggregate_sql: str | None) -> tuple[str, str | None]:
        """Columns counting (and aggregating) the events within `window` (None: every event of the scan):
        their names, the aggregate's None without one."""
        k = len(self.windows) + 1
        within_window = f" filter (where {window})" if window else ""
        self.columns.append(f"count(*){within_window} as n{k}")
        if aggregate_sql:
            self.columns.append(f"{aggregate_sql}{within_window} as agg{k}")
        self.windows.append(window)
        return f"n{k}", (f"agg{k}" if aggregate_sql else None)

    def __str__(self) -> str:
        conditions = list(self.conditions)
        if all(self.windows):          # every condition has a window: scan only what any of them needs
            conditions.append("(" + " or ".join(dict.fromkeys(self.windows)) + ")")
        where = "\n          and ".join(conditions)
        return (f"select e.person_id, {', '.join(self.columns)}\n"
                f"    from {self.relation} as e\n"
                f"    where {where}\n"
                f"    group by e.person_id")


def two_valued(predicate: str) -> str:
    """Two-valued: a comparison with a missing value is false, never NULL."""
    return f"coalesce({predicate}, false)"


def conjunction(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"


class SqlCompiler:
    """Collects the CTEs and parameters of one query: `segment()` adds a segment's select (and the
    event aggregations it joins) to `ctes`."""

    def __init__(self, schema: Schema):
        self.schema = schema
        self.params: dict[str, Any] = {}
        self.uses_as_of = False
        self.ctes: list[tuple[str, str | SharedEventScan]] = []
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
        scope = SegmentScope(seg.name)
        where = self.condition(seg.rules, scope)
        joins = "".join(f"\n    {j}" for j in scope.joins)
        distinct = "" if self.schema.deduplicated else "distinct "
        body = (f"select {distinct}p.person_id\n    from {quote_relation(self.schema.profiles)} as p{joins}\n"
                f"    where {where}")
        self.ctes.append((seg.name, body))

    def condition(self, node, scope: SegmentScope) -> str:
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
            return f"exists (select 1 from {quote_identifier(node.segment)} as m where m.person_id = p.person_id)"
        raise TypeError(f"not a condition: {node!r}")

    def all_of(self, value: str, comparisons, case_insensitive: bool = False) -> str:
        return conjunction([two_valued(self.predicate(value, c, case_insensitive)) for c in comparisons])

    def predicate(self, value: str, c: Comparison, case_insensitive: bool = False) -> str:
        if c.op == "is_null":
            return f"{value} is null" if c.value else f"{value} is not null"
        sql_type = PARAMETER_SQL_TYPES[c.type]
        lhs = f"lower({value})" if case_insensitive else value

        def parameter(x):
            p = self.bind(x, sql_type)
            return f"lower({p})" if case_insensitive else p

        if c.op in COMPARISON_SQL:
            return f"{lhs} {COMPARISON_SQL[c.op]} {parameter(c.value)}"
        if c.op in ("in", "not_in"):
            word = "in" if c.op == "in" else "not in"
            return f"{lhs} {word} ({', '.join(parameter(x) for x in c.value)})"
        if c.op == "between":
            return f"{lhs} between {parameter(c.value[0])} and {parameter(c.value[1])}"
        if c.op == "contains":
            return f"contains({lhs}, {parameter(c.value)})"
        if c.op == "starts_with":
            return f"starts_with({lhs}, {parameter(c.value)})"
        raise ValueError(f"unknown operator {c.op!r}")

    # ------------------------------------------------------------------ attributes and scores
    def attribute_value(self, node: AttributeCondition) -> str:
        name = "birth_date" if node.attribute == "age" else node.attribute
        spec = self.schema.attributes.get(name, node.spec)
        value = f"p.{quote_identifier(name)}"
        accept = []
        if node.provenance is not None:
            provenance = f"p.{quote_identifier(name + '__provenance')}" if spec.has_provenance else "'declared'"
            accepted = ", ".join(self.bind(x, "varchar") for x in node.provenance)
            accept.append(two_valued(f"{provenance} in ({accepted})"))
        if node.min_confidence is not None:
            confidence = f"p.{quote_identifier(name + '__confidence')}" if spec.has_confidence else "1.0"
            accept.append(two_valued(f"{confidence} >= {self.bind(node.min_confidence, 'double')}"))
        if accept:
            value = f"(case when {' and '.join(accept)} then {value} end)"
        if node.attribute == "age":
            as_of = f"cast({self.as_of} as date)"
            value = (f"(year({as_of}) - year({value}) - case when month({as_of}) * 100 + day({as_of}) "
                     f"< month({value}) * 100 + day({value}) then 1 else 0 end)")
        return value

    def score_value(self, node: ScoreCondition, scope: SegmentScope) -> str:
        if node.affinity:
            alias = scope.alias("a")
            scope.joins.append(
                f"left join (select person_id, max(affinity) as affinity from {quote_relation(self.schema.affinity)} "
                f"where category = {self.bind(node.score, 'varchar')} group by person_id) as {alias} "
                f"on {alias}.person_id = p.person_id")
            return f"{alias}.affinity"
        if not scope.scores_joined:
            scope.scores_joined = True
            scope.joins.append(f"left join {quote_relation(self.schema.score_table)} as s on s.person_id = p.person_id")
        return f"s.{quote_identifier(node.score)}"

    # ------------------------------------------------------------------ events
    def field(self, f: Field, alias: str) -> str:
        if f.column is not None:
            return f"{alias}.{quote_identifier(f.column)}"
        raw = f"json_extract_string({alias}.properties, {self.bind('$.' + quote_identifier(f.key), 'varchar')})"
        return raw if f.type == "string" else f"try_cast({raw} as {SQL_TYPES[f.type]})"

    def filters(self, where, alias: str) -> list[str]:
        return [two_valued(self.predicate(self.field(pf.field, alias), c)) for pf in where for c in pf.comparisons]

    def event_names(self, names, alias: str) -> str:
        return f"{alias}.event_name in ({', '.join(self.bind(n, 'varchar') for n in names)})"

    def performed(self, node: Performed, scope: SegmentScope) -> str:
        alias = scope.alias("e")
        cte = f"{scope.name}#{alias}"
        conditions = [self.event_names(node.events, "e"), f"e.occurred_at <= {self.as_of}"]
        if node.within is not None:
            conditions.append(f"e.occurred_at > {self.as_of} - {self.seconds(node.within)}")
        if node.between is not None:
            conditions.append(f"e.occurred_at >= {self.bind(node.between[0], 'timestamp')}")
            conditions.append(f"e.occurred_at < {self.bind(node.between[1], 'timestamp')}")
        conditions += self.filters(node.where, "e")
        if node.not_followed_by is not None:
            follow_up = node.not_followed_by
            grace = self.seconds(follow_up.within)
            followers = [self.event_names(follow_up.events, "f"), "f.person_id = e.person_id",
                         "f.occurred_at > e.occurred_at", f"f.occurred_at <= e.occurred_at + {grace}",
                         *self.filters(follow_up.where, "f")]
            conditions.append(f"e.occurred_at + {grace} <= {self.as_of}")
            conditions.append(f"not exists (select 1 from {quote_relation(self.schema.events)} as f "
                              f"where {' and '.join(followers)})")
        aggregate = node.aggregate
        if self.schema.deduplicated:     # one row per message_id already: conditions share scans
            window = conditions.pop(2) if node.within is not None else None
            key = tuple(conditions)
            scan = scope.scans.get(key)
            if scan is None:
                scan = scope.scans[key] = SharedEventScan(quote_relation(self.schema.events), conditions, alias)
                self.ctes.append((cte, scan))
                scope.joins.append(f"left join {quote_identifier(cte)} as {alias} on {alias}.person_id = p.person_id")
            aggregate_sql = f"{aggregate.fn}({self.field(aggregate.of, 'e')})" if aggregate else None
            count_column, aggregate_column = scan.add(window, aggregate_sql)
            return self.count_and_aggregate(node, f"{scan.alias}.{count_column}",
                                            f"{scan.alias}.{aggregate_column}" if aggregate_column else None)
        value = f", any_value({self.field(aggregate.of, 'e')}) as v" if aggregate else ""
        where = "\n          and ".join(conditions)
        query = (f"select person_id, count(*) as n{f', {aggregate.fn}(v) as agg' if aggregate else ''}\n"
                 f"    from (\n"
                 f"        select e.person_id, e.message_id{value}\n"
                 f"        from {quote_relation(self.schema.events)} as e\n"
                 f"        where {where}\n"
                 f"        group by e.person_id, e.message_id\n"
                 f"    )\n"
                 f"    group by person_id")
        self.ctes.append((cte, query))
        scope.joins.append(f"left join {quote_identifier(cte)} as {alias} on {alias}.person_id = p.person_id")
        return self.count_and_aggregate(node, f"{alias}.n", f"{alias}.agg")

    def count_and_aggregate(self, node: Performed, count_column: str, aggregate_column: str | None) -> str:
        """The count condition (no events: 0) and the aggregate's (sum over none: 0, others missing)."""
        parts = [two_valued(self.predicate(f"coalesce({count_column}, 0)", c)) for c in node.count]
        aggregate = node.aggregate
        if aggregate:
            total = f"coalesce({aggregate_column}, 0)" if aggregate.fn == "sum" else aggregate_column
            parts += [two_valued(self.predicate(total, c)) for c in aggregate.comparisons]
        return conjunction(parts)
