-- A returned row is a person whose profile consent is more permissive than one of its CRM records
-- (macros/consent.sql: rank false 0 < NULL 1 < true 2; the profile's rank must not exceed the lowest rank of its
-- records; a person without a CRM record must not be true). Through any merge, the strictest record wins.
-- In Dagster it is a check on profiles_cleaned (it reads two models: the meta names the one it checks).
{{ config(meta={'dagster': {'ref': {'name': 'profiles_cleaned'}}}) }}
with profiles as (
    select * from {{ ref('profiles_cleaned') }}
),

contacts as (
    select * from {{ ref('int_contacts__resolved') }}
),

record_consent as (
    select
        person_id,
        min({{ consent_rank('email_opt_in') }}) as min_record_rank
    from contacts
    group by person_id
),

final as (
    select
        profiles.person_id,
        profiles.email_opt_in,
        record_consent.min_record_rank
    from profiles
    left join record_consent on record_consent.person_id = profiles.person_id
    where not {{ consent_within_records('profiles.email_opt_in', 'record_consent.min_record_rank') }}
)

select * from final
