-- One row per product_id of the catalog (the last record when a product is listed twice).
with source as (
    select * from {{ source('shop', 'products') }}
),

renamed as (
    select
        trim(product_id) as product_id,
        {{ clean_text('name') }} as product_name,
        {{ clean_text('category') }} as category,
        {{ clean_text('subcategory') }} as subcategory,
        cast({{ dbt.safe_cast(clean_text('price'), 'double') }} as decimal(18, 2)) as price,
        coalesce({{ parse_boolean('is_new_arrival') }}, false) as is_new_arrival,
        {{ to_utc_timestamp('launched_at') }} as launched_at,
        {{ clean_text('url') }} as product_url,
        {{ clean_text('image_url') }} as image_url,
        source_file,
        line_no
    from source
),

latest as (
    select *
    from renamed
    qualify row_number() over (partition by product_id order by source_file desc, line_no desc) = 1
)

select * from latest
