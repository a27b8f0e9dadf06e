-- One row per CRM contact_id (the latest record by updated_at, then file and line, when a contact is exported twice).
with source as (
    select * from {{ source('crm', 'contacts') }}
),

renamed as (
    select
        ---------- ids
        trim(contact_id) as contact_id,
        ---------- personal data (normalised further by the identity step)
        {{ clean_email('email') }} as email,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ clean_text('phone') }} as phone_raw,
        {{ clean_text('gender') }} as gender_raw,
        {{ dbt.safe_cast(clean_text('birth_date'), 'date') }} as birth_date,
        {{ clean_text('birth_date') }} as birth_date_raw,
        {{ clean_text('city') }} as city,
        {{ clean_text('postal_code') }} as postal_code,
        {{ clean_text('country') }} as country_raw,
        ---------- consent: empty or unknown text is NULL, which is not consent
        {{ parse_boolean('email_opt_in') }} as email_opt_in,
        {{ clean_text('source') }} as signup_source,
        ---------- time (UTC)
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        ---------- lineage
        extra as extra_columns,
        source_file,
        line_no
    from source
),

latest as (
    select *
    from renamed
    qualify row_number() over (
        partition by contact_id
        order by updated_at desc nulls last, source_file desc, line_no desc
    ) = 1
)

select * from latest
