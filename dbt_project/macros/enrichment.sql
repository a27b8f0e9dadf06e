{#- Enrichment (models/marts/enrichment): the attribute vocabulary, ages and age bands. The vocabulary is the var
    `enrichment_vocabulary` of dbt_project.yml, the mirror of orchestration/lib/enrichment/attributes.py (a test
    fails when they differ); models and gates read it only through these macros. -#}

{#- Every enriched attribute and its SQL type, in column order: [(name, type), ...]. -#}
{% macro enriched_attributes() -%}
    {%- set types = {'string': dbt.type_string(), 'bigint': dbt.type_bigint()} -%}
    {%- set result = [] -%}
    {%- for name, type in var('enrichment_vocabulary')['attributes'].items() -%}
        {%- if type not in types -%}
            {{ exceptions.raise_compiler_error("enrichment_vocabulary: attribute " ~ name ~ " has the unknown type "
                                               ~ type ~ " (known: " ~ types.keys() | join(', ') ~ ")") }}
        {%- endif -%}
        {%- do result.append((name, types[type])) -%}
    {%- endfor -%}
    {{ return(result) }}
{%- endmacro %}

{#- What a person can declare of them (profiles_enriched's `declared` candidates, from enrichment_labels). -#}
{% macro enriched_declared() -%}
    {{ return(var('enrichment_vocabulary')['declared']) }}
{%- endmacro %}

{#- The provenances, best first: a value of an earlier provenance always wins. -#}
{% macro enriched_provenances() -%}
    {{ return(var('enrichment_vocabulary')['provenances']) }}
{%- endmacro %}

{#- The known values of an attribute (accepted_values tests). -#}
{% macro enriched_known_values(attribute) -%}
    {{ return(var('enrichment_vocabulary')['known_values'][attribute]) }}
{%- endmacro %}

{#- Full years between a date and the run's as_of (one is a year older on the birthday; born 29 February:
    on 1 March in other years), the segment language's `age`. -#}
{% macro age_at_as_of(birth_date) -%}
    (extract(year from {{ scoring_as_of() }}) - extract(year from {{ birth_date }})
     - case when extract(month from {{ scoring_as_of() }}) * 100 + extract(day from {{ scoring_as_of() }})
                 < extract(month from {{ birth_date }}) * 100 + extract(day from {{ birth_date }})
            then 1 else 0 end)
{%- endmacro %}

{#- The age band of an age in years (NULL under 13: no marketing band for children). -#}
{% macro age_band(age) -%}
    case
        when {{ age }} is null or {{ age }} < 13 then null
        when {{ age }} < 18 then '13-17'
        when {{ age }} < 25 then '18-24'
        when {{ age }} < 35 then '25-34'
        when {{ age }} < 45 then '35-44'
        when {{ age }} < 55 then '45-54'
        when {{ age }} < 65 then '55-64'
        else '65+'
    end
{%- endmacro %}

{#- The rank of a provenance (text expression): 1 for the best (declared), then in vocabulary order. -#}
{% macro enriched_provenance_rank(provenance) -%}
    case {{ provenance }}
    {%- for name in enriched_provenances() %} when '{{ name }}' then {{ loop.index }}{% endfor %} end
{%- endmacro %}
