-- One row per CRM contact record, with the person it was resolved to.
with contacts as (
    select * from {{ ref('int_identity__contacts') }}
),

identity_map as (
    select * from {{ ref('int_identity__map') }}
),

contact_persons as (
    select
        id_value as contact_id,
        person_id,
        linked_by,
        probability
    from identity_map
    where id_type = 'contact_id'
),

final as (
    select
        contact_persons.person_id,
        contact_persons.linked_by,
        contact_persons.probability as link_probability,
        contacts.*
    from contacts
    -- a left join: a contact the identity map missed keeps a NULL person_id and fails a not_null test
    left join contact_persons on contact_persons.contact_id = contacts.contact_id
)

select * from final
