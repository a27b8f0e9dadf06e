-- One row per (person_id, email): every non-empty email known for a person, from any of its CRM records
-- (valid or not) and from the traits of its identify events.
with contacts as (
    select * from {{ ref('int_contacts__resolved') }}
),

events as (
    select * from {{ ref('int_events__attributed') }}
),

crm_emails as (
    select
        person_id,
        email,
        'crm' as source,
        contact_id,
        coalesce(updated_at, created_at) as seen_at
    from contacts
    where email is not null and person_id is not null
),

identify_emails as (
    select
        person_id,
        trait_email as email,
        'identify' as source,
        cast(null as {{ dbt.type_string() }}) as contact_id,
        occurred_at as seen_at
    from events
    where trait_email is not null and person_id is not null
),

known_emails as (
    select * from crm_emails
    union all
    select * from identify_emails
),

by_email as (
    select
        person_id,
        email,
        -- a CRM record outranks an identify trait as the address's source
        case when count(case when source = 'crm' then 1 end) > 0 then 'crm' else 'identify' end as source,
        count(case when source = 'identify' then 1 end) > 0 as has_identify_trait,
        {{ distinct_sorted_list('contact_id') }} as contact_ids,
        max(seen_at) as last_seen_at
    from known_emails
    group by person_id, email
),

latest_status as (
    -- the status the identity step gave the address on the person's most recent record holding it
    select
        person_id,
        email,
        email_status
    from contacts
    where email is not null and person_id is not null
    qualify row_number() over (
        partition by person_id, email
        order by updated_at desc nulls last, created_at desc nulls last, contact_id desc
    ) = 1
),

final as (
    select
        by_email.person_id,
        by_email.email,
        latest_status.email_status,
        by_email.source,
        by_email.has_identify_trait,
        by_email.contact_ids,
        by_email.last_seen_at
    from by_email
    left join latest_status
        on latest_status.person_id = by_email.person_id and latest_status.email = by_email.email
)

select * from final
