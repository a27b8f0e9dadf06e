-- One row per order_id, attributed to a person: through its contact_id when the identity map knows it,
-- else through its email when that email is a valid address of exactly one person's CRM records.
-- Orders no person can be found for are kept, with person_id NULL and is_unattributed true.
with orders as (
    select * from {{ ref('stg_shop__orders') }}
),

identity_map as (
    select * from {{ ref('int_identity__map') }}
),

contacts as (
    select * from {{ ref('int_contacts__resolved') }}
),

contact_persons as (
    select id_value as contact_id, person_id
    from identity_map
    where id_type = 'contact_id'
),

email_persons as (
    -- an address that (because of a blocked merge) belongs to two persons attributes to neither
    select
        email,
        min(person_id) as person_id
    from contacts
    where email_status = 'valid' and person_id is not null
    group by email
    having count(distinct person_id) = 1
),

attributed as (
    select
        ---------- ids
        orders.order_id,
        coalesce(contact_persons.person_id, email_persons.person_id) as person_id,
        case
            when contact_persons.person_id is not null then 'contact_id'
            when email_persons.person_id is not null then 'email'
        end as attributed_by,
        orders.contact_id,
        ---------- order
        orders.ordered_at,
        orders.status,
        orders.currency,
        orders.total,
        coalesce(contact_persons.person_id, email_persons.person_id) is null as is_unattributed,
        ---------- lineage
        orders.source_file,
        orders.line_no
    from orders
    left join contact_persons on contact_persons.contact_id = orders.contact_id
    left join email_persons on email_persons.email = orders.email
),

final as (
    select * from attributed
)

select * from final
