-- One row per order line: an order may list the same product on several lines.
with source as (
    select * from {{ source('shop', 'order_items') }}
),

renamed as (
    select
        trim(order_id) || ':' || source_file || ':' || cast(line_no as {{ dbt.type_string() }}) as order_item_id,
        trim(order_id) as order_id,
        trim(product_id) as product_id,
        {{ dbt.safe_cast(clean_text('quantity'), 'integer') }} as quantity,
        cast({{ dbt.safe_cast(clean_text('unit_price'), 'double') }} as decimal(18, 2)) as unit_price,
        source_file,
        line_no
    from source
)

select * from renamed
