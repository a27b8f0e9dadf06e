{#- Lower-cased, trimmed email; empty and the text 'null' become NULL (like DOP's email_cleaner). -#}
{% macro clean_email(column) -%}
    nullif(nullif(lower(trim({{ column }})), ''), 'null')
{%- endmacro %}

{#- Trimmed text, empty -> NULL. -#}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{#- The contract's booleans: true/false/1/0/yes/no (t/f/y/n); anything else, empty included, is NULL (unknown). -#}
{% macro parse_boolean(column) -%}
    case
        when lower(trim({{ column }})) in ('true', '1', 'yes', 't', 'y') then true
        when lower(trim({{ column }})) in ('false', '0', 'no', 'f', 'n') then false
    end
{%- endmacro %}
