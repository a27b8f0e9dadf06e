-- One row per person: what the person declared of the attributes enrichment can also derive (the CRM's golden
-- record, profiles_cleaned), the labels the inference model learns from, and the `declared` candidates of
-- profiles_enriched. age and age_band come from the declared birth date at the run's as_of. An erased person
-- (is_erased) declares nothing and is never enriched.
with profiles as (
    select * from {{ ref('profiles_cleaned') }}
),

final as (
    select
        person_id,
        gender,
        birth_date,
        {{ age_at_as_of('birth_date') }} as age,
        {{ age_band(age_at_as_of('birth_date')) }} as age_band,
        city,
        country,
        coalesce(last_seen_at, created_at) as declared_at,
        is_erased
    from profiles
)

select * from final
