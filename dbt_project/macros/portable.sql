{#- Small adapter.dispatch wrappers for what differs between DuckDB and Spark (STYLE §5). -#}

{#- dbt-duckdb's safe_cast is a plain cast: make it a try_cast. -#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}

{#- An ISO-8601 string (with or without offset) to a UTC timestamp without time zone. -#}
{% macro to_utc_timestamp(column) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'microseg')(column)) }}
{%- endmacro %}
{% macro default__to_utc_timestamp(column) -%}
    timezone('UTC', try_cast(trim({{ column }}) as timestamptz))
{%- endmacro %}
{% macro spark__to_utc_timestamp(column) -%}
    to_utc_timestamp(try_cast(trim({{ column }}) as timestamp), 'UTC')
{%- endmacro %}

{#- A struct of the named columns (compared field by field, so min() picks the first in that order). -#}
{% macro struct_of(columns) -%}
    {{ return(adapter.dispatch('struct_of', 'microseg')(columns)) }}
{%- endmacro %}
{% macro default__struct_of(columns) -%}
    struct_pack({% for c in columns %}{{ c }} := {{ c }}{{ ", " if not loop.last }}{% endfor %})
{%- endmacro %}
{% macro spark__struct_of(columns) -%}
    named_struct({% for c in columns %}'{{ c }}', {{ c }}{{ ", " if not loop.last }}{% endfor %})
{%- endmacro %}

{#- True when the whole of `expression` matches the regular expression `pattern` (raw text, not a SQL literal:
    pass it from a {% set %} block so that no backslash is lost to Jinja). -#}
{% macro regexp_full_match(expression, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match', 'microseg')(expression, pattern)) }}
{%- endmacro %}
{% macro default__regexp_full_match(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern | replace("'", "''") }}')
{%- endmacro %}
{% macro spark__regexp_full_match(expression, pattern) -%}
    ({{ expression }} rlike '^(?:{{ pattern | replace("\\", "\\\\") | replace("'", "\\'") }})$')
{%- endmacro %}

-- The SHA-256 of a text as 64 lower-case hex digits (Python's hashlib.sha256(...).hexdigest()): how erasure
-- tombstones and the suppression list key an address or an id without keeping it.
{% macro sha256_hex(expression) -%}
    {{ return(adapter.dispatch('sha256_hex', 'microseg')(expression)) }}
{%- endmacro %}
{% macro default__sha256_hex(expression) -%}
    sha256({{ expression }})
{%- endmacro %}
{% macro spark__sha256_hex(expression) -%}
    sha2({{ expression }}, 256)
{%- endmacro %}
