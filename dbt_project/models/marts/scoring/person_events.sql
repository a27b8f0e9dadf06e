-- One row per attributed event (message_id, deduplicated upstream) of every person: ALL of them, also those after
-- the run's as_of (segments evaluate their own windows and previews run at other as_of values; the feature and
-- score models filter occurred_at <= as_of themselves). The catalog is joined through product_id, and events are
-- grouped into sessions: per person, a new session starts when more than `sessions.gap_minutes` (30) passed
-- since the person's previous site or app event. Email events happen in the mailbox: they get no session.
-- The column names are a contract with the segment compiler (its relation `seg_events`): keep them.
with events as (
    select * from {{ ref('int_events__attributed') }}
),

products as (
    select * from {{ ref('stg_shop__products') }}
),

session_events as (
    select message_id, person_id, occurred_at
    from events
    where person_id is not null
      and coalesce(event_name not in (
          {%- for name in scoring_email_event_names() %}{{ scoring_quote(name) }}{{ ", " if not loop.last }}{% endfor -%}
      ), true)
),

gaps as (
    select
        *,
        lag(occurred_at) over (partition by person_id order by occurred_at, message_id) as previous_occurred_at
    from session_events
),

session_starts as (
    select
        *,
        case
            when previous_occurred_at is null then 1
            when {{ epoch_seconds('occurred_at') }} - {{ epoch_seconds('previous_occurred_at') }}
                > {{ scoring_setting('sessions', 'gap_minutes') | float }} * 60 then 1
            else 0
        end as is_session_start
    from gaps
),

sessions as (
    select
        message_id,
        person_id || ':' || cast(sum(is_session_start) over (
            partition by person_id order by occurred_at, message_id
            rows between unbounded preceding and current row
        ) as {{ dbt.type_string() }}) as session_id
    from session_starts
),

final as (
    select
        ---------- ids
        events.message_id,
        events.person_id,
        sessions.session_id,
        ---------- what
        events.event_type,
        events.event_name,
        events.page_name,
        events.properties,
        events.product_id,
        events.category,
        events.price,
        events.quantity,
        events.cart_id,
        events.order_id,
        events.order_total,
        events.campaign_id,
        events.email_id,
        events.variant,
        events.url,
        ---------- catalog (NULL when the product_id is not in the catalog)
        products.product_name,
        products.category as product_category,
        products.subcategory as product_subcategory,
        products.price as product_price,
        products.is_new_arrival as product_is_new_arrival,
        products.launched_at as product_launched_at,
        ---------- time (UTC)
        events.occurred_at
    from events
    left join products on products.product_id = events.product_id
    left join sessions on sessions.message_id = events.message_id
    where events.person_id is not null
)

select * from final
