-- One row per known identifier (contact_id, user_id or anonymous_id) and the person it resolves to.
-- A thin pass-through over source('identity', 'identity_map'): see _identity__sources.yml.
with source as (
    select * from {{ source('identity', 'identity_map') }}
),

final as (
    select
        id_type || ':' || id_value as identifier,
        id_type,
        id_value,
        person_id,
        linked_by,
        probability
    from source
)

select * from final
