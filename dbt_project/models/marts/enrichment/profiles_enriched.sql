-- One row per person: every enriched attribute (macro enriched_attributes) with the value chosen, its provenance,
-- confidence and when it was obtained. The choice, per person and attribute (SEGMENTS.md):
--   declared (the CRM golden record; confidence 1)  >  third_party (the http provider)
--   >  reference (offline reference data)  >  inferred (the model, only at or above inference_min_confidence)
-- and within one provenance the highest confidence (then the smaller value, so the choice is total).
-- A derived value therefore never overrides a declared one. Columns: <attr>, <attr>__provenance,
-- <attr>__confidence, <attr>__obtained_at; plus the declared birth_date and age (full years at as_of).
{%- set attributes = enriched_attributes() %}

with labels as (
    select * from {{ ref('enrichment_labels') }}
),

found as (
    select * from {{ ref('int_enrichment__attributes') }}
),

declared_values as (
    {%- for name in enriched_declared() %}
    select
        person_id, '{{ name }}' as attribute, cast({{ name }} as {{ dbt.type_string() }}) as value,
        'declared' as provenance, 1.0 as confidence, declared_at as obtained_at,
        {{ enriched_provenance_rank("'declared'") }} as provenance_rank
    from labels
    where {{ name }} is not null
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

found_values as (
    -- what the enrichment step's Python assets found: third_party, reference, inferred
    select
        person_id, attribute, cast(value as {{ dbt.type_string() }}) as value,
        provenance, cast(confidence as double) as confidence, obtained_at,
        {{ enriched_provenance_rank('provenance') }} as provenance_rank
    from found
    where value is not null
),

candidates as (
    select * from declared_values
    union all
    select * from found_values
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
