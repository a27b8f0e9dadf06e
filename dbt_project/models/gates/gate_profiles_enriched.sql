-- The frame of the blocking gate ge_profiles_enriched_critical (GE suite profiles_enriched__critical): one row per
-- person of profiles_enriched. Every derived column is true or false, never NULL, over every attribute of the
-- vocabulary (macros/enrichment.sql):
--   confidences_in_range    every <attr>__confidence in [0, 1]
--   provenances_allowed     every <attr>__provenance one of the vocabulary's provenances
--   values_have_provenance  a value exactly when it has a provenance and a confidence
--   declared_value_wins     what the person declared (enrichment_labels; not erased) is the chosen value
--   age_in_range            age in 0-120
--   declared_age_has_band   a declared age of 13 or more gives a declared age band
{%- set attributes = enriched_attributes() | map(attribute=0) | list %}
{%- set allowed = [] %}
{%- for provenance in enriched_provenances() %}{% do allowed.append("'" ~ provenance ~ "'") %}{% endfor %}

with enriched as (
    select * from {{ ref('profiles_enriched') }}
),

labels as (
    select * from {{ ref('enrichment_labels') }}
),

final as (
    select
        enriched.person_id,
        enriched.age,
        enriched.age_band,
        coalesce(
            {%- for a in attributes %}
            coalesce(enriched.{{ a }}__confidence between 0 and 1, enriched.{{ a }}__confidence is null)
            {{- " and" if not loop.last }}
            {%- endfor %}, false) as confidences_in_range,
        coalesce(
            {%- for a in attributes %}
            coalesce(enriched.{{ a }}__provenance in ({{ allowed | join(', ') }}), enriched.{{ a }}__provenance is null)
            {{- " and" if not loop.last }}
            {%- endfor %}, false) as provenances_allowed,
        coalesce(
            {%- for a in attributes %}
            ((enriched.{{ a }} is null) = (enriched.{{ a }}__provenance is null)
             and (enriched.{{ a }} is null) = (enriched.{{ a }}__confidence is null))
            {{- " and" if not loop.last }}
            {%- endfor %}, false) as values_have_provenance,
        coalesce(
            {%- for a in enriched_declared() %}
            (labels.{{ a }} is null
             or (enriched.{{ a }}__provenance = 'declared'
                 and cast(enriched.{{ a }} as {{ dbt.type_string() }}) = cast(labels.{{ a }} as {{ dbt.type_string() }})))
            {{- " and" if not loop.last }}
            {%- endfor %}, false) as declared_value_wins,
        coalesce(enriched.age is null or enriched.age between 0 and 120, false) as age_in_range,
        coalesce(enriched.age is null or enriched.age < 13 or enriched.age_band__provenance = 'declared', false)
            as declared_age_has_band
    from enriched
    left join labels on labels.person_id = enriched.person_id and not labels.is_erased
)

select * from final
