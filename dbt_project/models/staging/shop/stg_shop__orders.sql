-- One row per order_id (the last record when an order is exported twice).
with source as (
    select * from {{ source('shop', 'orders') }}
),

renamed as (
    select
        trim(order_id) as order_id,
        {{ clean_text('contact_id') }} as contact_id,
        {{ clean_email('email') }} as email,
        {{ to_utc_timestamp('ordered_at') }} as ordered_at,
        lower(trim(status)) as status,
        upper({{ clean_text('currency') }}) as currency,
        cast({{ dbt.safe_cast(clean_text('total'), 'double') }} as decimal(18, 2)) as total,
        {{ clean_text('contact_id') }} is null and {{ clean_email('email') }} is null as is_unattributed,
        source_file,
        line_no
    from source
),

latest as (
    select *
    from renamed
    qualify row_number() over (partition by order_id order by source_file desc, line_no desc) = 1
)

select * from latest
