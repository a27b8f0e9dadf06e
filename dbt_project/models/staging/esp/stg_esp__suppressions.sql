-- One row per suppressed email and reason (earliest time it was recorded).
with source as (
    select * from {{ source('esp', 'suppression') }}
),

renamed as (
    select
        {{ clean_email('email') }} as email,
        lower(trim(reason)) as reason,
        {{ to_utc_timestamp(adapter.quote('at')) }} as suppressed_at,
        source_file,
        line_no
    from source
),

earliest as (
    select *
    from renamed
    where email is not null
    qualify row_number() over (
        partition by email, reason order by suppressed_at nulls last, source_file, line_no
    ) = 1
)

select * from earliest
