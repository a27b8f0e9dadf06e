-- One row per person: how many contact records were merged into it and its weakest link.
-- A thin pass-through over source('identity', 'clusters'): see _identity__sources.yml.
with source as (
    select * from {{ source('identity', 'clusters') }}
),

final as (
    select
        person_id,
        contact_count,
        weakest_link_probability
    from source
)

select * from final
