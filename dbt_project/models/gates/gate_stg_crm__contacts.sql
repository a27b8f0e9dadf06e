-- The frame of the blocking gate ge_stg_crm__contacts_critical (GE suite stg_crm__contacts__critical): one row per
-- staged CRM contact (contact_id), the columns the suite reads. The email's form is two invariants, true or false
-- (NULL without an email), the regular expressions here: GE has none for DuckDB, where the suite runs as SQL.
with contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

final as (
    select
        contact_id,
        email,
        not regexp_matches(email, '^\s|\s$') as email_is_trimmed,
        not regexp_matches(email, '[A-Z]') as email_is_lower_case,
        email_opt_in,
        created_at
    from contacts
)

select * from final
