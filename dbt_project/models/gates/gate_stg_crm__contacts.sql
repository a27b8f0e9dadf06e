-- The frame of the blocking gate ge_stg_crm__contacts_critical (GE suite stg_crm__contacts__critical): one row per
-- staged CRM contact (contact_id), the columns the suite reads.
with contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

final as (
    select
        contact_id,
        email,
        email_opt_in,
        created_at
    from contacts
)

select * from final
