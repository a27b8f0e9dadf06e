{#- Enrichment (models/enrichment): the attributes profiles_enriched carries, their types, and age bands. -#}

{#- Every enriched attribute and its SQL type. Keep in step with ATTRIBUTES in
    orchestration/lib/enriched_attributes.py (tests/test_lib_enrichment.py checks it). -#}
{% macro enriched_attributes() -%}
    {{ return([
        ('gender', dbt.type_string()),
        ('age_band', dbt.type_string()),
        ('city', dbt.type_string()),
        ('country', dbt.type_string()),
        ('city_type', dbt.type_string()),
        ('city_population', dbt.type_bigint()),
        ('region', dbt.type_string()),
        ('email_domain_type', dbt.type_string()),
        ('company_domain', dbt.type_string()),
        ('company_name', dbt.type_string()),
        ('job_title', dbt.type_string()),
        ('seniority', dbt.type_string()),
    ]) }}
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
