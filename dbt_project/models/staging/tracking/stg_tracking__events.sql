-- One row per messageId: the first delivery (earliest received day, file, line) of every valid event.
-- The ingest step parsed each line once and exposed the contract's fields as text columns; here they get types.
-- Lineage (received_date, source_file, line_no) joins back to raw.events for anything not exposed here.
{{ config(materialized='table') }}

with source as (
    select * from {{ source('tracking', 'events') }}
),

first_deliveries as (
    -- the earliest (received day, file, line) per messageId; a grouped min over the keys alone is
    -- much cheaper than sorting whole rows
    select min({{ struct_of(['received_date', 'source_file', 'line_no']) }}) as first_delivery
    from source
    group by message_id
),

first_keys as (
    select
        first_delivery.received_date as received_date,
        first_delivery.source_file as source_file,
        first_delivery.line_no as line_no
    from first_deliveries
),

deduplicated as (
    select source.*
    from source
    inner join first_keys using (received_date, source_file, line_no)
),

renamed as (
    select
        ---------- ids
        message_id,
        user_id,
        anonymous_id,
        ---------- what
        type as event_type,
        case when type = 'track' then event end as event_name,
        case when type = 'page' then name end as page_name,
        ---------- properties (Segment e-commerce v2 and email events); all of them stay in `properties`
        properties,
        product_id,
        category,
        {{ dbt.safe_cast('price', 'double') }} as price,
        {{ dbt.safe_cast('quantity', 'integer') }} as quantity,
        cart_id,
        order_id,
        {{ dbt.safe_cast('total', 'double') }} as order_total,
        {{ dbt.safe_cast('value', 'double') }} as checkout_value,
        currency,
        query as search_query,
        list_id,
        video_id,
        campaign_id,
        email_id,
        variant,
        url,
        ---------- traits (identify)
        traits,
        {{ clean_email('trait_email') }} as trait_email,
        ---------- context (the whole object stays in raw.events: it is large and its useful fields are here)
        page_url,
        user_agent,
        ip,
        utm_source,
        utm_medium,
        utm_campaign,
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
