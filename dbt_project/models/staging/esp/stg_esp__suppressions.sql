-- One row per suppressed address (its SHA-256: the suppression list never holds the address) and reason,
-- with the earliest time it was recorded. Ingest hashes the trimmed, lower-cased address (raw.suppression).
with source as (
    select * from {{ source('esp', 'suppression') }}
),

renamed as (
    select
        email_sha256,
        lower(trim(reason)) as reason,
        {{ to_utc_timestamp(adapter.quote('at')) }} as suppressed_at,
        source_file,
        line_no
    from source
),

earliest as (
    select *
    from renamed
    where email_sha256 is not null
    qualify row_number() over (
        partition by email_sha256, reason order by suppressed_at nulls last, source_file, line_no
    ) = 1
)

select * from earliest
