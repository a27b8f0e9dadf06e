"""The segment language: YAML definitions, validated at load time, compiled to one DuckDB query each.

A segment is one YAML file in `segments/` (documented in `docs/segments.md`); its members are the
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

The modules: `schema` (the relations and columns the compiler targets, `DEFAULT_SCHEMA`), `ast` (the node
types), `values` (YAML values in the language's types), `issues` (`Issue`, `SegmentError`, did-you-mean),
`parser` (a YAML document -> `Segment`), `catalog` (files and folders of segments, `load_catalog`) and
`compiler` (`Segment` -> SQL). Import the names below from this package; submodules load on first use.
"""

from orchestration.lib.core.lazy import lazy_exports

_EXPORTS = {
    "Aggregate": "ast",
    "AllOf": "ast",
    "AnyOf": "ast",
    "AttributeCondition": "ast",
    "Comparison": "ast",
    "Condition": "ast",
    "Field": "ast",
    "FollowUp": "ast",
    "InSegment": "ast",
    "Not": "ast",
    "Performed": "ast",
    "PropertyFilter": "ast",
    "ScoreCondition": "ast",
    "Segment": "ast",
    "Catalog": "catalog",
    "FileResult": "catalog",
    "check_file": "catalog",
    "load_catalog": "catalog",
    "parse_segment": "catalog",
    "segment_files": "catalog",
    "validate_dir": "catalog",
    "validate_segments": "catalog",
    "yaml_files_in": "catalog",
    "CompiledSegment": "compiler",
    "compile_segment": "compiler",
    "members": "compiler",
    "Issue": "issues",
    "SegmentError": "issues",
    "did_you_mean": "issues",
    "AGGREGATE_FUNCTIONS": "parser",
    "BLOCKS": "parser",
    "COUNT_OPERATORS": "parser",
    "DURATION_UNITS": "parser",
    "OPERATORS": "parser",
    "SegmentParser": "parser",
    "parse_duration": "parser",
    "DEFAULT_SCHEMA": "schema",
    "SQL_TYPES": "schema",
    "TYPES": "schema",
    "Attribute": "schema",
    "Property": "schema",
    "Schema": "schema",
    "enriched": "schema",
    "evaluation_ddl": "schema",
    "quote_identifier": "schema",
    "quote_relation": "schema",
    "convert_value": "values",
    "describe_value": "values",
    "with_article": "values",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
