-- One row per person: the attributes segment rules read (orchestration/lib/segments/dsl.py, relation seg_profiles).
-- Declared-only attributes come from profiles_cleaned; every attribute enrichment can fill (macro
-- enriched_attributes: gender, age_band, city, country, city_type, ...) is profiles_enriched's chosen value with
-- its <attr>__provenance and <attr>__confidence, so a rule can accept only some provenances (SEGMENTS.md).
-- is_reachable: a valid email, consent given, not suppressed (activation's rule).
with profiles as (
    select * from {{ ref('profiles_cleaned') }}
),

enriched as (
    select * from {{ ref('profiles_enriched') }}
),

final as (
    select
        profiles.person_id,
        profiles.email,
        profiles.first_name,
        profiles.last_name,
        profiles.phone_e164 as phone,
        profiles.birth_date,
        profiles.postal_code,
        profiles.email_opt_in,
        profiles.created_at,
        profiles.first_seen_at,
        profiles.last_seen_at,
        {%- for name, type in enriched_attributes() %}
        enriched.{{ name }},
        enriched.{{ name }}__provenance,
        enriched.{{ name }}__confidence,
        {%- endfor %}
        coalesce(profiles.email is not null and profiles.email_opt_in and not profiles.is_suppressed, false)
            as is_reachable,
        profiles.is_suppressed
    from profiles
    left join enriched on enriched.person_id = profiles.person_id
)

select * from final
