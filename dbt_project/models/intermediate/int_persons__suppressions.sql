-- One row per (person_id, email, reason): a suppression of any email known for the person. It follows the
-- person through every merge: one suppressed address of any merged record suppresses the whole person.
with emails as (
    select * from {{ ref('int_persons__emails') }}
),

suppression as (
    select * from {{ ref('stg_esp__suppressions') }}
),

final as (
    select
        emails.person_id,
        emails.email,
        suppression.reason,
        suppression.suppressed_at
    from emails
    -- the suppression list holds hashes only (stg_esp__suppressions)
    inner join suppression on suppression.email_sha256 = {{ sha256_hex("emails.email") }}
)

select * from final
