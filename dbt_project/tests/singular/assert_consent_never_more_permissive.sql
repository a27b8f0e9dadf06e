-- A returned row is a person whose profile consent is more permissive than one of its CRM records
-- (rank false 0 < NULL 1 < true 2: the profile's rank must not exceed the lowest rank of its records;
-- a person without a CRM record must not be true). Through any merge, the strictest record wins.
with profiles as (
    select * from {{ ref('profiles_cleaned') }}
),

contacts as (
    select * from {{ ref('int_contacts__resolved') }}
),

record_consent as (
    select
        person_id,
        min(case when email_opt_in then 2 when email_opt_in is null then 1 else 0 end) as min_record_rank
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
    where case when profiles.email_opt_in then 2 when profiles.email_opt_in is null then 1 else 0 end
        > coalesce(record_consent.min_record_rank, 1)
)

select * from final
