-- One row per messageId: the first delivery (earliest received day, file, line) of every valid event.
-- The ingest step parsed each line once and exposed the contract's fields as text columns; here they get types.
-- Lineage (received_date, source_file, line_no) joins back to raw.events for anything not exposed here.
--
-- Incremental: a run stages only the messageIds that a load since the last run touched, and gives the same table
-- row for row as a full build (tests/ingest/test_incremental_staging.py). Each raw row carries the load that wrote
-- it (load_id); a file's rows are always replaced whole, by a later load. A staged row is stale when its
-- (received_date, source_file, load_id) is no longer in raw.events (its file was reloaded or removed). The
-- affected messageIds are those of raw rows newer than the newest load staged, and those of stale rows; each is
-- staged again from its first delivery in raw.events now (delete + insert on message_id), and a stale row whose
-- messageId is no longer anywhere in raw.events is deleted by the post-hook. `microseg run --full-refresh` (or
-- `dbt build --full-refresh`) rebuilds it from all of raw.events.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='message_id',
    on_schema_change='sync_all_columns',
    post_hook="""
        delete from {{ this }} as staged
        where not exists (
            select 1 from (select distinct received_date, source_file, load_id from {{ source('tracking', 'events') }}) as loaded
            where loaded.received_date = staged.received_date
              and loaded.source_file = staged.source_file
              and loaded.load_id = coalesce(staged.load_id, 0)
        )
    """
) }}

with all_raw as (
    select * from {{ source('tracking', 'events') }}
),

{#- a table staged by an earlier version has no load ids: staged again whole, once -#}
{% set staged_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list if is_incremental() else [] %}
{% if 'load_id' in staged_columns %}
staged_files as (
    select distinct received_date, source_file, coalesce(load_id, 0) as load_id from {{ this }}
),

loaded_files as (
    select distinct received_date, source_file, load_id from all_raw
),

affected as (
    -- rows loaded after the newest load staged
    select message_id from all_raw
    where load_id > (select coalesce(max(load_id), 0) from staged_files)
    union
    -- rows staged from a file that was reloaded or removed since
    select staged.message_id
    from {{ this }} as staged
    semi join (select * from staged_files except select * from loaded_files) as stale
        on stale.received_date = staged.received_date
        and stale.source_file = staged.source_file
        and stale.load_id = coalesce(staged.load_id, 0)
),

source as (
    select * from all_raw semi join affected using (message_id)
),
{% else %}
source as (
    select * from all_raw
),
{% endif %}

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
        line_no,
        load_id
    from deduplicated
)

select * from renamed
