-- One row per (person_id, phone_e164): every valid phone of a person's CRM records, with the one
-- profiles_cleaned chose flagged is_primary. Erased persons have no rows.
with contacts as (
    select * from {{ ref('int_contacts__resolved') }}
),

profiles as (
    select * from {{ ref('profiles_cleaned') }}
),

phones as (
    select
        person_id,
        phone_e164,
        {{ distinct_sorted_list('contact_id') }} as contact_ids,
        max(coalesce(updated_at, created_at)) as last_seen_at
    from contacts
    where phone_status = 'valid' and phone_e164 is not null and person_id is not null
    group by person_id, phone_e164
),

final as (
    select
        phones.person_id,
        phones.phone_e164,
        phones.contact_ids,
        coalesce(phones.phone_e164 = profiles.phone_e164, false) as is_primary,
        phones.last_seen_at
    from phones
    inner join profiles on profiles.person_id = phones.person_id
    where not profiles.is_erased
)

select * from final
