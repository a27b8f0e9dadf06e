{#- List aggregation differs between engines (STYLE §5): one adapter.dispatch wrapper, as portable.sql does. -#}

{#- The distinct non-NULL values of `expression` in each group, sorted; an empty list when there are none. -#}
{% macro distinct_sorted_list(expression) -%}
    {{ return(adapter.dispatch('distinct_sorted_list', 'microseg')(expression)) }}
{%- endmacro %}
{% macro default__distinct_sorted_list(expression) -%}
    list_sort(list_distinct(list({{ expression }})))
{%- endmacro %}
{% macro spark__distinct_sorted_list(expression) -%}
    array_sort(collect_set({{ expression }}))
{%- endmacro %}
