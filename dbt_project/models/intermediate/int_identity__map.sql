-- One row per known identifier (contact_id, user_id or anonymous_id) and the person it resolves to.
-- A thin pass-through over source('identity', 'identity_map') (see _identity__sources.yml), without any
-- identifier of an erased person: the erasure step removed them already; this keeps it so whatever wrote the map.
with source as (
    select * from {{ source('identity', 'identity_map') }}
),

tombstones as (
    select key_type, key_sha256 from {{ source('erasure', 'tombstones') }}
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
    where not exists (
        select 1 from tombstones
        where tombstones.key_type = source.id_type and tombstones.key_sha256 = {{ sha256_hex("source.id_value") }}
    )
)

select * from final
