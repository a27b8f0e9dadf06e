-- One row per messageId: the first delivery (earliest received day, file, line) of every valid event.
{{ config(materialized='table') }}

{#- column name -> JSON path; every path is read in one parse of the payload -#}
{%- set fields = [
    ('properties', '$.properties'),
    ('product_id', '$.properties.product_id'),
    ('category', '$.properties.category'),
    ('price', '$.properties.price'),
    ('quantity', '$.properties.quantity'),
    ('cart_id', '$.properties.cart_id'),
    ('order_id', '$.properties.order_id'),
    ('order_total', '$.properties.total'),
    ('checkout_value', '$.properties.value'),
    ('currency', '$.properties.currency'),
    ('search_query', '$.properties.query'),
    ('list_id', '$.properties.list_id'),
    ('video_id', '$.properties.video_id'),
    ('campaign_id', '$.properties.campaign_id'),
    ('email_id', '$.properties.email_id'),
    ('variant', '$.properties.variant'),
    ('url', '$.properties.url'),
    ('traits', '$.traits'),
    ('trait_email', '$.traits.email'),
    ('page_url', '$.context.page.url'),
    ('user_agent', '$.context.userAgent'),
    ('ip', '$.context.ip'),
    ('utm_source', '$.context.campaign.source'),
    ('utm_medium', '$.context.campaign.medium'),
    ('utm_campaign', '$.context.campaign.name'),
] -%}
{%- set at = {} -%}
{%- for name, path in fields -%}{%- do at.update({name: list_at('f', loop.index)}) -%}{%- endfor -%}

with source as (
    select * from {{ source('raw', 'events') }}
),

first_deliveries as (
    -- ranking only the keys is much cheaper than sorting whole rows with their payload
    select received_date, source_file, line_no
    from source
    qualify row_number() over (
        partition by message_id order by received_date, source_file, line_no
    ) = 1
),

deduplicated as (
    select source.*
    from source
    inner join first_deliveries using (received_date, source_file, line_no)
),

extracted as (
    select
        *,
        {{ json_text_list('payload', fields | map(attribute=1) | list) }} as f
    from deduplicated
),

renamed as (
    select
        ---------- ids
        message_id,
        {{ clean_text('user_id') }} as user_id,
        {{ clean_text('anonymous_id') }} as anonymous_id,
        ---------- what
        type as event_type,
        case when type = 'track' then event end as event_name,
        case when type = 'page' then name end as page_name,
        ---------- properties (Segment e-commerce v2 and email events); all of them stay in `properties`
        {{ at['properties'] }} as properties,
        {{ at['product_id'] }} as product_id,
        {{ at['category'] }} as category,
        {{ dbt.safe_cast(at['price'], 'double') }} as price,
        {{ dbt.safe_cast(at['quantity'], 'integer') }} as quantity,
        {{ at['cart_id'] }} as cart_id,
        {{ at['order_id'] }} as order_id,
        {{ dbt.safe_cast(at['order_total'], 'double') }} as order_total,
        {{ dbt.safe_cast(at['checkout_value'], 'double') }} as checkout_value,
        {{ at['currency'] }} as currency,
        {{ at['search_query'] }} as search_query,
        {{ at['list_id'] }} as list_id,
        {{ at['video_id'] }} as video_id,
        {{ at['campaign_id'] }} as campaign_id,
        {{ at['email_id'] }} as email_id,
        {{ at['variant'] }} as variant,
        {{ at['url'] }} as url,
        ---------- traits (identify)
        {{ at['traits'] }} as traits,
        {{ clean_email(at['trait_email']) }} as trait_email,
        ---------- context
        {{ at['page_url'] }} as page_url,
        {{ at['user_agent'] }} as user_agent,
        {{ at['ip'] }} as ip,
        {{ at['utm_source'] }} as utm_source,
        {{ at['utm_medium'] }} as utm_medium,
        {{ at['utm_campaign'] }} as utm_campaign,
        ---------- time (UTC)
        occurred_at,
        received_date,
        cast(occurred_at as date) < received_date as is_late_arrival,
        ---------- lineage
        source_file,
        line_no
    from extracted
)

select * from renamed
