{#- Generic test: a returned row is a combination of `combination_of_columns` (a model's multi-column grain) that
    occurs more than once, with how often. Written here because we use no dbt Hub packages (STYLE §2); the same
    contract as dbt_utils' test of that name. NULLs group together: test each column not_null apart. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set columns = combination_of_columns | join(', ') %}
    select {{ columns }}, count(*) as occurrences
    from {{ model }}
    group by {{ columns }}
    having count(*) > 1
{% endtest %}
