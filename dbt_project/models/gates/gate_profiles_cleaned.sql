-- The frame of the blocking gate ge_profiles_cleaned_critical (GE suite profiles_cleaned__critical): one row per
-- profile (person_id). Every derived column is true or false, never NULL:
--   email_is_valid               the profile email is NULL, or an address the identity step judged valid on one
--                                of the person's own records, and of a basic shape
--   consent_not_more_permissive  macros/consent.sql: the profile's consent ranks no higher than the strictest of
--                                its records (a person without a CRM record may not be true)
--   erased_has_no_personal_data  an erased person keeps no personal column
-- The address itself stays out of the frame (and so out of Data Docs and check metadata). The gate adds
-- within_size_cap itself (contact_count against the run's setting max_cluster_size), so the setting is applied
-- when the gate runs, never baked into this view.
{%- set email_shape %}[^@\s]+@[^@\s]+\.[^@\s.]+{% endset %}

with profiles as (
    select * from {{ ref('profiles_cleaned') }}
),

contacts as (
    select * from {{ ref('int_contacts__resolved') }}
),

records as (
    select person_id, email, email_status, email_opt_in
    from contacts
    where person_id is not null
),

record_consent as (
    select
        person_id,
        min({{ consent_rank('email_opt_in') }}) as min_consent_rank
    from records
    group by person_id
),

valid_emails as (
    select distinct person_id, email
    from records
    where email_status = 'valid'
),

final as (
    select
        profiles.person_id,
        profiles.contact_count,
        profiles.email_opt_in,
        profiles.is_erased,
        coalesce(profiles.email is null
                 or (valid_emails.email is not null
                     and {{ regexp_full_match('profiles.email', email_shape) }}), false) as email_is_valid,
        coalesce({{ consent_within_records('profiles.email_opt_in', 'record_consent.min_consent_rank') }}, false)
            as consent_not_more_permissive,
        coalesce(not profiles.is_erased
                 or coalesce(profiles.email, profiles.phone_e164, profiles.first_name, profiles.last_name,
                             profiles.gender, cast(profiles.birth_date as {{ dbt.type_string() }}), profiles.city,
                             profiles.postal_code, profiles.country) is null,
                 false) as erased_has_no_personal_data
    from profiles
    left join record_consent on record_consent.person_id = profiles.person_id
    left join valid_emails on valid_emails.person_id = profiles.person_id and valid_emails.email = profiles.email
)

select * from final
