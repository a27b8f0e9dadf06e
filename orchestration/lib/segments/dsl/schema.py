"""What the compiled SQL reads: the evaluation relations, their columns and the known attributes, scores,
event properties, event names and values (`Schema`, `DEFAULT_SCHEMA`, `Schema.extend`), and the
`create table` statements of those relations (`evaluation_ddl`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping

from orchestration.lib.enrichment import ATTRIBUTES as ENRICHED_ATTRIBUTES
from orchestration.lib.enrichment import KNOWN_VALUES

TYPES = ("string", "number", "integer", "boolean", "date", "timestamp")
SQL_TYPES = {"string": "varchar", "number": "double", "integer": "integer", "boolean": "boolean",
             "date": "date", "timestamp": "timestamp"}
DUCKDB_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                        "UINTEGER", "UBIGINT")


def quote_identifier(identifier: str) -> str:
    """A SQL identifier in double quotes (inner quotes doubled)."""
    return '"' + identifier.replace('"', '""') + '"'


def quote_relation(name: str) -> str:
    """A relation name (`schema.table` or `table`), each part quoted."""
    return ".".join(quote_identifier(part) for part in name.split("."))


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
            rows = con.execute(f"describe select * from {quote_relation(relation)}").fetchall()
            return {r[0]: language_type(r[1]) for r in rows}

        profile_columns = columns(base.profiles)
        attributes = {}
        for column, type_ in profile_columns.items():
            if column in ("person_id", "age") or column.endswith(("__provenance", "__confidence")):
                continue
            known = base.attributes.get(column)
            attributes[column] = Attribute(known.type if known else type_,
                                           f"{column}__provenance" in profile_columns,
                                           f"{column}__confidence" in profile_columns,
                                           known.case_insensitive if known else False)
        if "birth_date" in attributes:
            attributes["age"] = Attribute("integer", attributes["birth_date"].has_provenance,
                                          attributes["birth_date"].has_confidence)
        score_columns = columns(base.score_table)
        scores = {c: base.scores.get(c, t) for c, t in score_columns.items() if c != "person_id"}
        event_columns = columns(base.events)
        properties = {k: p for k, p in base.event_properties.items() if p.column in event_columns}
        products = {k: p for k, p in base.product_columns.items() if p.column in event_columns}
        return replace(base, attributes=attributes, scores=scores, event_properties=properties,
                       product_columns=products)


def language_type(duckdb_type: str) -> str:
    """The language type (TYPES) of a DuckDB column type."""
    t = duckdb_type.upper()
    if t == "BOOLEAN":
        return "boolean"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t in DUCKDB_INTEGER_TYPES:
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

EVENT_BASE_COLUMNS = (("message_id", "varchar"), ("person_id", "varchar"), ("event_name", "varchar"),
                      ("event_type", "varchar"), ("occurred_at", "timestamp"), ("properties", "varchar"))


def evaluation_ddl(schema: Schema = DEFAULT_SCHEMA, replace: bool = False) -> list[str]:
    """`create table` statements for the four relations the compiled SQL reads (empty; for fixtures,
    tests and as the reference of the columns the pipeline must provide); `replace`: create or replace."""
    profile_columns = ["person_id varchar"]
    for name, attribute in schema.attributes.items():
        if name == "age":
            continue
        profile_columns.append(f"{quote_identifier(name)} {SQL_TYPES[attribute.type]}")
        if attribute.has_provenance:
            profile_columns.append(f"{quote_identifier(name + '__provenance')} varchar")
        if attribute.has_confidence:
            profile_columns.append(f"{quote_identifier(name + '__confidence')} double")
    event_columns = [f"{name} {sql_type}" for name, sql_type in EVENT_BASE_COLUMNS]
    seen = {name for name, _ in EVENT_BASE_COLUMNS}
    for prop in [*schema.event_properties.values(), *schema.product_columns.values()]:
        if prop.column not in seen:
            seen.add(prop.column)
            event_columns.append(f"{quote_identifier(prop.column)} {SQL_TYPES[prop.type]}")
    score_columns = ["person_id varchar"] + [f"{quote_identifier(n)} {SQL_TYPES[t]}" for n, t in schema.scores.items()]
    create = "create or replace table" if replace else "create table"
    return [f"{create} {quote_relation(schema.profiles)} ({', '.join(profile_columns)})",
            f"{create} {quote_relation(schema.events)} ({', '.join(event_columns)})",
            f"{create} {quote_relation(schema.score_table)} ({', '.join(score_columns)})",
            f"{create} {quote_relation(schema.affinity)} (person_id varchar, category varchar, affinity double)"]
