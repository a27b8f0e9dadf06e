-- One row per (person_id, email): every non-empty email known for a person (CRM records and identify
-- traits), with the one profiles_cleaned chose flagged is_primary. Erased persons have no rows.
with emails as (
    select * from {{ ref('int_persons__emails') }}
),

suppressions as (
    select * from {{ ref('int_persons__suppressions') }}
),

profiles as (
    select * from {{ ref('profiles_cleaned') }}
),

email_suppression as (
    select
        emails.person_id,
        emails.email,
        count(suppressions.reason) > 0 as is_suppressed,
        {{ distinct_sorted_list('suppressions.reason') }} as suppression_reasons
    from emails
    left join suppressions
        on suppressions.person_id = emails.person_id and suppressions.email = emails.email
    group by emails.person_id, emails.email
),

final as (
    select
        emails.person_id,
        emails.email,
        emails.email_status,
        emails.source,
        emails.has_identify_trait,
        emails.contact_ids,
        coalesce(emails.email = profiles.email, false) as is_primary,
        email_suppression.is_suppressed,
        email_suppression.suppression_reasons,
        emails.last_seen_at
    from emails
    inner join profiles on profiles.person_id = emails.person_id
    inner join email_suppression
        on email_suppression.person_id = emails.person_id and email_suppression.email = emails.email
    where not profiles.is_erased
)

select * from final
