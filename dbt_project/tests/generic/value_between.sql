{#- Generic test: a returned row has `column_name` outside [min_value, max_value] (NULLs pass; test not_null apart). -#}
{% test value_between(model, column_name, min_value, max_value) %}
    select *
    from {{ model }}
    where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}
