{#- Small adapter.dispatch wrappers for what differs between DuckDB and Spark (STYLE §5). -#}

{#- Text at a JSON path ('$.a.b'), NULL when absent. -#}
{% macro json_text(column, path) -%}
    {{ return(adapter.dispatch('json_text', 'microseg')(column, path)) }}
{%- endmacro %}
{% macro default__json_text(column, path) -%}
    ({{ column }} ->> '{{ path }}')
{%- endmacro %}
{% macro spark__json_text(column, path) -%}
    get_json_object({{ column }}, '{{ path }}')
{%- endmacro %}

{#- A JSON sub-document at a path, as JSON. -#}
{% macro json_object(column, path) -%}
    {{ return(adapter.dispatch('json_object', 'microseg')(column, path)) }}
{%- endmacro %}
{% macro default__json_object(column, path) -%}
    ({{ column }} -> '{{ path }}')
{%- endmacro %}
{% macro spark__json_object(column, path) -%}
    get_json_object({{ column }}, '{{ path }}')
{%- endmacro %}

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

{#- Many text values at JSON paths with ONE parse of the document: a list, read with list_at(). -#}
{% macro json_text_list(column, paths) -%}
    {{ return(adapter.dispatch('json_text_list', 'microseg')(column, paths)) }}
{%- endmacro %}
{% macro default__json_text_list(column, paths) -%}
    json_extract_string({{ column }}, [{% for p in paths %}'{{ p }}'{{ ", " if not loop.last }}{% endfor %}])
{%- endmacro %}
{% macro spark__json_text_list(column, paths) -%}
    array({% for p in paths %}get_json_object({{ column }}, '{{ p }}'){{ ", " if not loop.last }}{% endfor %})
{%- endmacro %}

{#- The i-th element (1-based) of a list. -#}
{% macro list_at(column, i) -%}
    {{ return(adapter.dispatch('list_at', 'microseg')(column, i)) }}
{%- endmacro %}
{% macro default__list_at(column, i) -%}
    {{ column }}[{{ i }}]
{%- endmacro %}
{% macro spark__list_at(column, i) -%}
    {{ column }}[{{ i - 1 }}]
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
