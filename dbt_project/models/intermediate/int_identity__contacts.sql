-- One row per CRM contact record as the identity step normalised it.
-- A thin pass-through over source('identity', 'contacts_normalized'): see _identity__sources.yml.
with source as (
    select * from {{ source('identity', 'contacts_normalized') }}
),

final as (
    select
        ---------- ids
        contact_id,
        ---------- email (email is the trimmed lower-cased text even when invalid; NULL when empty)
        email,
        email_status,
        email_domain,
        email_hash,
        ---------- names
        first_name,
        last_name,
        first_name_folded,
        last_name_folded,
        ---------- phone (phone_e164 is NULL unless valid)
        phone_e164,
        phone_status,
        phone_hash,
        ---------- demographics and location
        gender,
        birth_date,
        birth_year,
        city,
        city_folded,
        postal_code,
        country,
        ---------- consent (NULL = unknown, which is not consent)
        email_opt_in,
        signup_source,
        ---------- time (UTC)
        created_at,
        updated_at,
        ---------- lineage
        source_file,
        line_no
    from source
)

select * from final
