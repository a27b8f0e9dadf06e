-- One row per person: the attributes segment rules read (orchestration/lib/segment_dsl.py, relation seg_profiles).
-- Enriched attributes (city_type, email_domain_type) carry their provenance and confidence; they stay NULL until
-- the enrichment step fills them. is_reachable: a valid email, consent given, not suppressed (activation's rule).
with profiles as (
    select * from {{ ref('profiles_cleaned') }}
),

final as (
    select
        person_id,
        email,
        first_name,
        last_name,
        phone_e164 as phone,
        gender,
        birth_date,
        city,
        postal_code,
        country,
        email_opt_in,
        created_at,
        first_seen_at,
        last_seen_at,
        cast(null as {{ dbt.type_string() }}) as city_type,
        cast(null as {{ dbt.type_string() }}) as city_type__provenance,
        cast(null as double) as city_type__confidence,
        cast(null as {{ dbt.type_string() }}) as email_domain_type,
        cast(null as {{ dbt.type_string() }}) as email_domain_type__provenance,
        cast(null as double) as email_domain_type__confidence,
        coalesce(email is not null and email_opt_in and not is_suppressed, false) as is_reachable,
        is_suppressed
    from profiles
)

select * from final
