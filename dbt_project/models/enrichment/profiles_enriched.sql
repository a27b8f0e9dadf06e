-- One row per person: every enriched attribute (macro enriched_attributes) with the value chosen, its provenance,
-- confidence and when it was obtained. The choice, per person and attribute (SEGMENTS.md):
--   declared (the CRM golden record; confidence 1)  >  third_party (the http provider)
--   >  reference (offline reference data)  >  inferred (the model, only at or above inference_min_confidence)
-- and within one provenance the highest confidence (then the smaller value, so the choice is total).
-- A derived value therefore never overrides a declared one. Columns: <attr>, <attr>__provenance,
-- <attr>__confidence, <attr>__obtained_at; plus the declared birth_date and age (full years at as_of).
{%- set attributes = enriched_attributes() %}
{%- set declared = ['gender', 'age_band', 'city', 'country'] %}{# = DECLARED in lib/enriched_attributes.py #}

with labels as (
    select * from {{ ref('enrichment_labels') }}
),

declared_values as (
    {%- for name in declared %}
    select
        person_id, '{{ name }}' as attribute, cast({{ name }} as {{ dbt.type_string() }}) as value,
        'declared' as provenance, 1.0 as confidence, declared_at as obtained_at, 1 as provenance_rank
    from labels
    where {{ name }} is not null
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

{%- for source_table, provenance, rank in [('third_party_attributes', 'third_party', 2),
                                           ('reference_attributes', 'reference', 3),
                                           ('inferred_attributes', 'inferred', 4)] %}

{{ provenance }}_values as (
    select
        person_id, attribute, cast(value as {{ dbt.type_string() }}) as value,
        '{{ provenance }}' as provenance, cast(confidence as double) as confidence, obtained_at,
        {{ rank }} as provenance_rank
    from {{ source('enrichment', source_table) }}
    where value is not null
),
{%- endfor %}

candidates as (
    select * from declared_values
    union all
    select * from third_party_values
    union all
    select * from reference_values
    union all
    select * from inferred_values
),

chosen as (
    -- an erased person keeps no personal data, derived data included
    select candidates.*
    from candidates
    inner join labels on labels.person_id = candidates.person_id and not labels.is_erased
    qualify row_number() over (
        partition by candidates.person_id, candidates.attribute
        order by candidates.provenance_rank, candidates.confidence desc, candidates.value
    ) = 1
),

final as (
    select
        labels.person_id,
        labels.birth_date,
        labels.age,
        {%- for name, type in attributes %}
        max(case when chosen.attribute = '{{ name }}' then cast(chosen.value as {{ type }}) end) as {{ name }},
        max(case when chosen.attribute = '{{ name }}' then chosen.provenance end) as {{ name }}__provenance,
        max(case when chosen.attribute = '{{ name }}' then chosen.confidence end) as {{ name }}__confidence,
        max(case when chosen.attribute = '{{ name }}' then chosen.obtained_at end) as {{ name }}__obtained_at
        {{- "," if not loop.last }}
        {%- endfor %}
    from labels
    left join chosen on chosen.person_id = labels.person_id
    group by labels.person_id, labels.birth_date, labels.age
)

select * from final
