-- One row per person of profiles_cleaned: behavior at the run's as_of (the var `as_of`). Only events and purchases
-- with a time <= as_of count; a window "Nd" is the half-open (as_of - N days, as_of]. Persons without events get
-- zero counts and NULL times. Purchases (orders, revenue, last order) come from person_orders, which prefers the
-- orders table over Order Completed events so that no order counts twice; the order_completed_* counts are the
-- events themselves. An interaction is a track or page event whose engagement weight is > 0; activity is an
-- interaction or a purchase. Price levels: the average price viewed and added to carts in 90 days (the event's
-- price, else the catalog's), the average unit price bought in 365 days (order lines, weighted by quantity).
{%- set windows = [7, 30, 90] %}
{%- set event_columns = [
    ('page_viewed', "event_type = 'page'"),
    ('product_viewed', "event_name = 'Product Viewed'"),
    ('product_list_viewed', "event_name = 'Product List Viewed'"),
    ('products_searched', "event_name = 'Products Searched'"),
    ('product_added', "event_name = 'Product Added'"),
    ('product_removed', "event_name = 'Product Removed'"),
    ('cart_viewed', "event_name = 'Cart Viewed'"),
    ('checkout_started', "event_name = 'Checkout Started'"),
    ('order_completed', "event_name = 'Order Completed'"),
    ('email_opened', "event_name = 'Email Opened'"),
    ('email_clicked', "event_name = 'Email Link Clicked'"),
] %}
{%- set engagement_weights = scoring_setting('engagement', 'weights') %}

with persons as (
    select person_id, created_at from {{ ref('profiles_cleaned') }}
),

events as (
    select
        *,
        {{ scoring_weight(scoring_interaction_name(), engagement_weights) }} as engagement_weight
    from {{ ref('person_events') }}
    where occurred_at <= {{ scoring_as_of() }}
),

purchases as (
    select * from {{ ref('person_orders') }}
    where ordered_at <= {{ scoring_as_of() }}
),

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
),

event_facts as (
    select
        person_id,
        {%- for name, condition in event_columns %}
        {%- for days in windows %}
        count(case when {{ condition }} and {{ scoring_within('occurred_at', days) }} then 1 end) as {{ name }}_{{ days }}d,
        {%- endfor %}
        {%- endfor %}
        {%- for days in windows %}
        count(case when event_type in ('track', 'page') and {{ scoring_within('occurred_at', days) }} then 1 end)
            as events_{{ days }}d,
        {%- endfor %}
        count(distinct case when {{ scoring_within('occurred_at', 30) }} then session_id end) as sessions_30d,
        count(distinct case when {{ scoring_within('occurred_at', 90) }} then session_id end) as sessions_90d,
        avg(case when event_name = 'Product Viewed' and {{ scoring_within('occurred_at', 90) }}
            then cast(coalesce(price, product_price) as decimal(18, 2)) end) as avg_viewed_price_90d,
        avg(case when event_name = 'Product Added' and {{ scoring_within('occurred_at', 90) }}
            then cast(coalesce(price, product_price) as decimal(18, 2)) end) as avg_added_price_90d,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at,
        max(case when engagement_weight > 0 then occurred_at end) as last_interaction_at
    from events
    group by person_id
),

purchase_facts as (
    select
        person_id,
        count(*) as orders_total,
        count(case when {{ scoring_within('ordered_at', 30) }} then 1 end) as orders_30d,
        count(case when {{ scoring_within('ordered_at', 365) }} then 1 end) as orders_365d,
        sum(case when {{ scoring_within('ordered_at', 365) }} then order_total end) as revenue_365d,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at
    from purchases
    group by person_id
),

purchased_item_facts as (
    -- the lines of purchases from the orders table (an Order Completed event's products are not exploded)
    select
        purchases.person_id,
        sum(order_items.unit_price * order_items.quantity) / nullif(sum(order_items.quantity), 0)
            as avg_purchased_price_365d
    from purchases
    inner join order_items on order_items.order_id = purchases.order_id
    where purchases.source = 'orders' and {{ scoring_within('purchases.ordered_at', 365) }}
      and order_items.unit_price is not null and order_items.quantity > 0
    group by purchases.person_id
),

joined as (
    select
        persons.person_id,
        persons.created_at,
        {%- for name, _ in event_columns %}
        {%- for days in windows %}
        coalesce(event_facts.{{ name }}_{{ days }}d, 0) as {{ name }}_{{ days }}d,
        {%- endfor %}
        {%- endfor %}
        {%- for days in windows %}
        coalesce(event_facts.events_{{ days }}d, 0) as events_{{ days }}d,
        {%- endfor %}
        coalesce(event_facts.sessions_30d, 0) as sessions_30d,
        coalesce(event_facts.sessions_90d, 0) as sessions_90d,
        round(event_facts.avg_viewed_price_90d, 2) as avg_viewed_price_90d,
        round(event_facts.avg_added_price_90d, 2) as avg_added_price_90d,
        round(purchased_item_facts.avg_purchased_price_365d, 2) as avg_purchased_price_365d,
        coalesce(purchase_facts.orders_total, 0) as orders_total,
        coalesce(purchase_facts.orders_30d, 0) as orders_30d,
        coalesce(purchase_facts.orders_365d, 0) as orders_365d,
        coalesce(purchase_facts.revenue_365d, 0) as revenue_365d,
        event_facts.first_event_at,
        event_facts.last_event_at,
        event_facts.last_interaction_at,
        purchase_facts.first_order_at,
        purchase_facts.last_order_at
    from persons
    left join event_facts on event_facts.person_id = persons.person_id
    left join purchase_facts on purchase_facts.person_id = persons.person_id
    left join purchased_item_facts on purchased_item_facts.person_id = persons.person_id
),

final as (
    select
        ---------- ids
        person_id,
        {{ scoring_as_of() }} as as_of,
        ---------- counts per event type and window
        {%- for name, _ in event_columns %}
        {%- for days in windows %}
        {{ name }}_{{ days }}d,
        {%- endfor %}
        {%- endfor %}
        {%- for days in windows %}
        events_{{ days }}d,
        {%- endfor %}
        sessions_30d,
        sessions_90d,
        ---------- purchases (frequency, monetary)
        orders_total,
        orders_30d,
        orders_365d,
        cast(revenue_365d as decimal(18, 2)) as revenue_365d,
        cast(round(revenue_365d / nullif(orders_365d, 0), 2) as decimal(18, 2)) as avg_order_value_365d,
        orders_total > 0 as has_ordered,
        ---------- price levels
        avg_viewed_price_90d,
        avg_added_price_90d,
        cast(avg_purchased_price_365d as decimal(18, 2)) as avg_purchased_price_365d,
        ---------- time (UTC) and recency in whole days before as_of
        -- first seen: the earliest of the first event, the first CRM record and the first purchase up to as_of
        least(first_event_at, case when created_at <= {{ scoring_as_of() }} then created_at end, first_order_at)
            as first_seen_at,
        first_event_at,
        last_event_at,
        last_interaction_at,
        greatest(last_interaction_at, last_order_at) as last_activity_at,
        first_order_at,
        last_order_at,
        cast(floor({{ scoring_age_days('last_event_at') }}) as integer) as days_since_last_event,
        cast(floor({{ scoring_age_days('greatest(last_interaction_at, last_order_at)') }}) as integer)
            as days_since_last_activity,
        cast(floor({{ scoring_age_days('last_order_at') }}) as integer) as days_since_last_order
    from joined
)

select * from final
