-- One row per messageId: the first delivery (earliest received day, file, line) of every valid event.
{{ config(materialized='table') }}

with source as (
    select * from {{ source('raw', 'events') }}
),

deduplicated as (
    select *
    from source
    qualify row_number() over (
        partition by message_id order by received_date, source_file, line_no
    ) = 1
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
        ---------- properties (Segment e-commerce v2 and email events)
        {{ json_object('payload', '$.properties') }} as properties,
        {{ json_text('payload', '$.properties.product_id') }} as product_id,
        {{ json_text('payload', '$.properties.category') }} as category,
        {{ dbt.safe_cast(json_text('payload', '$.properties.price'), 'double') }} as price,
        {{ dbt.safe_cast(json_text('payload', '$.properties.quantity'), 'integer') }} as quantity,
        {{ json_text('payload', '$.properties.cart_id') }} as cart_id,
        {{ json_text('payload', '$.properties.order_id') }} as order_id,
        {{ dbt.safe_cast(json_text('payload', '$.properties.total'), 'double') }} as order_total,
        {{ dbt.safe_cast(json_text('payload', '$.properties.value'), 'double') }} as checkout_value,
        {{ json_text('payload', '$.properties.currency') }} as currency,
        {{ json_text('payload', '$.properties.query') }} as search_query,
        {{ json_text('payload', '$.properties.list_id') }} as list_id,
        {{ json_text('payload', '$.properties.video_id') }} as video_id,
        {{ json_text('payload', '$.properties.campaign_id') }} as campaign_id,
        {{ json_text('payload', '$.properties.email_id') }} as email_id,
        {{ json_text('payload', '$.properties.variant') }} as variant,
        {{ json_text('payload', '$.properties.url') }} as url,
        ---------- traits (identify)
        {{ json_object('payload', '$.traits') }} as traits,
        {{ clean_email(json_text('payload', '$.traits.email')) }} as trait_email,
        ---------- context
        {{ json_text('payload', '$.context.page.url') }} as page_url,
        {{ json_text('payload', '$.context.userAgent') }} as user_agent,
        {{ json_text('payload', '$.context.ip') }} as ip,
        {{ json_text('payload', '$.context.campaign.source') }} as utm_source,
        {{ json_text('payload', '$.context.campaign.medium') }} as utm_medium,
        {{ json_text('payload', '$.context.campaign.name') }} as utm_campaign,
        ---------- time (UTC)
        occurred_at,
        received_date,
        cast(occurred_at as date) < received_date as is_late_arrival,
        ---------- lineage
        source_file,
        line_no
    from deduplicated
)

select * from renamed
