-- One row per person (every person_id of the identity map, persons without a CRM record included):
-- the golden record. Survivorship rules (documented per column in _profiles__models.yml too):
--   recency      a person's records are ranked most recent first by updated_at, then created_at, then
--                contact_id (descending, so the order is total); "most recent" below means that rank.
--   email        the most recent record whose email_status = 'valid'; NULL if none (only valid addresses).
--   phone_e164   the most recent record with a valid phone.
--   first_name,  the folded form found on most of the person's records (ties: the form of the most recent
--   last_name    record), spelled as on the most recent record with that form.
--   gender,      each the most recent non-NULL value.
--   birth_date
--   city,        all three from the most recent record that has a city: they are correlated, so a city of
--   postal_code, one record is never mixed with a postcode of another.
--   country
--   email_opt_in the strictest over the records (macro consent_rank: false 0 < NULL 1 < true 2, the minimum
--                wins): false if any record is false, else NULL if any is NULL (unknown is not consent), else true.
--                NULL for a person without a CRM record.
--   is_suppressed any email known for the person (any record, valid or not, and identify traits) is in the
--                suppression list, for any reason; sticky through merges.
--   is_erased    one of those suppressions is an 'erasure': every personal column below is then NULL.
with identity_map as (
    select * from {{ ref('int_identity__map') }}
),

clusters as (
    select * from {{ ref('int_identity__clusters') }}
),

contacts as (
    select * from {{ ref('int_contacts__resolved') }}
),

events as (
    select * from {{ ref('int_events__attributed') }}
),

emails as (
    select * from {{ ref('int_persons__emails') }}
),

suppressions as (
    select * from {{ ref('int_persons__suppressions') }}
),

persons as (
    select
        person_id,
        {{ distinct_sorted_list("case when id_type = 'contact_id' then id_value end") }} as contact_ids,
        {{ distinct_sorted_list("case when id_type = 'user_id' then id_value end") }} as user_ids,
        {{ distinct_sorted_list("case when id_type = 'anonymous_id' then id_value end") }} as anonymous_ids,
        count(case when id_type = 'contact_id' then 1 end) as contact_count,
        count(case when id_type = 'contact_id' then 1 end) > 0 as has_crm_record,
        count(case when id_type in ('contact_id', 'user_id') then 1 end) = 0 as is_anonymous
    from identity_map
    group by person_id
),

ranked_records as (
    select
        *,
        row_number() over (
            partition by person_id
            order by updated_at desc nulls last, created_at desc nulls last, contact_id desc
        ) as recency_rank
    from contacts
    where person_id is not null
),

primary_emails as (
    select person_id, email
    from ranked_records
    where email_status = 'valid'
    qualify row_number() over (partition by person_id order by recency_rank) = 1
),

primary_phones as (
    select person_id, phone_e164
    from ranked_records
    where phone_status = 'valid' and phone_e164 is not null
    qualify row_number() over (partition by person_id order by recency_rank) = 1
),

{% for name in ['first_name', 'last_name'] %}
{{ name }}_forms as (
    select
        person_id,
        {{ name }},
        recency_rank,
        count(*) over (partition by person_id, {{ name }}_folded) as form_count,
        row_number() over (partition by person_id, {{ name }}_folded order by recency_rank) as rank_in_form
    from ranked_records
    where {{ name }} is not null and {{ name }}_folded is not null
),

{{ name }}s as (
    -- one row per form (its most recent spelling), then the most frequent form; ties -> the most recent
    select person_id, {{ name }}
    from {{ name }}_forms
    where rank_in_form = 1
    qualify row_number() over (partition by person_id order by form_count desc, recency_rank) = 1
),

{% endfor %}
genders as (
    select person_id, gender
    from ranked_records
    where gender is not null
    qualify row_number() over (partition by person_id order by recency_rank) = 1
),

birth_dates as (
    select person_id, birth_date
    from ranked_records
    where birth_date is not null
    qualify row_number() over (partition by person_id order by recency_rank) = 1
),

locations as (
    select person_id, city, postal_code, country
    from ranked_records
    where city is not null
    qualify row_number() over (partition by person_id order by recency_rank) = 1
),

record_facts as (
    select
        person_id,
        min({{ consent_rank('email_opt_in') }}) as consent_rank,
        count(distinct case when phone_status = 'valid' then phone_e164 end) as phone_count,
        min(created_at) as first_created_at,
        max(updated_at) as last_updated_at
    from ranked_records
    group by person_id
),

activity as (
    select
        person_id,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at
    from events
    where person_id is not null
      and occurred_at <= {{ scoring_as_of() }}   -- the run's as_of: a later event is not "seen" yet
    group by person_id
),

email_facts as (
    select person_id, count(*) as email_count
    from emails
    group by person_id
),

suppression_facts as (
    select
        persons.person_id,
        count(suppressions.reason) > 0 as is_suppressed,
        count(case when suppressions.reason = 'erasure' then 1 end) > 0 as is_erased,
        {{ distinct_sorted_list('suppressions.reason') }} as suppression_reasons
    from persons
    left join suppressions on suppressions.person_id = persons.person_id
    group by persons.person_id
),

final as (
    select
        ---------- ids
        persons.person_id,
        persons.contact_ids,
        persons.user_ids,
        persons.anonymous_ids,
        persons.contact_count,
        persons.has_crm_record,
        persons.is_anonymous,
        clusters.weakest_link_probability,
        ---------- personal data: NULL for an erased person
        case when not suppression_facts.is_erased then primary_emails.email end as email,
        case when not suppression_facts.is_erased then primary_phones.phone_e164 end as phone_e164,
        case when not suppression_facts.is_erased then first_names.first_name end as first_name,
        case when not suppression_facts.is_erased then last_names.last_name end as last_name,
        case when not suppression_facts.is_erased then genders.gender end as gender,
        case when not suppression_facts.is_erased then birth_dates.birth_date end as birth_date,
        case when not suppression_facts.is_erased then locations.city end as city,
        case when not suppression_facts.is_erased then locations.postal_code end as postal_code,
        case when not suppression_facts.is_erased then locations.country end as country,
        ---------- consent and suppression
        {{ consent_of_rank('record_facts.consent_rank') }} as email_opt_in,
        suppression_facts.is_suppressed,
        suppression_facts.suppression_reasons,
        suppression_facts.is_erased,
        ---------- counts (what profile_emails and profile_phones hold for the person)
        case when suppression_facts.is_erased then 0 else coalesce(email_facts.email_count, 0) end as email_count,
        case when suppression_facts.is_erased then 0 else coalesce(record_facts.phone_count, 0) end as phone_count,
        ---------- time (UTC)
        record_facts.first_created_at as created_at,
        least(record_facts.first_created_at, activity.first_event_at) as first_seen_at,
        coalesce(activity.last_event_at, record_facts.last_updated_at) as last_seen_at
    from persons
    inner join suppression_facts on suppression_facts.person_id = persons.person_id
    left join clusters on clusters.person_id = persons.person_id
    left join primary_emails on primary_emails.person_id = persons.person_id
    left join primary_phones on primary_phones.person_id = persons.person_id
    left join first_names on first_names.person_id = persons.person_id
    left join last_names on last_names.person_id = persons.person_id
    left join genders on genders.person_id = persons.person_id
    left join birth_dates on birth_dates.person_id = persons.person_id
    left join locations on locations.person_id = persons.person_id
    left join record_facts on record_facts.person_id = persons.person_id
    left join activity on activity.person_id = persons.person_id
    left join email_facts on email_facts.person_id = persons.person_id
)

select * from final
