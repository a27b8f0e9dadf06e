-- One row per person and product category the person interacted with up to as_of. Signals: every interaction
-- (track or page event with engagement weight > 0) carrying a category, the catalog's category preferred over the
-- event's; and, for purchases from the orders table, each order line (order_items -> catalog category) weighing
-- as `Order Completed`. Order Completed events themselves are left out (their products are order lines).
--   events         the number of such signals for the category
--   share          events / the person's events over all categories (sums to 1 per person)
--   affinity_raw   sum of weight * 0.5 ^ (age_days / affinity.half_life_days)
--   affinity       100 * (1 - exp(-affinity_raw / affinity.scale)), 0-100, comparable across persons
--   affinity_rank  1 = the person's top category (highest affinity, then events, then category name)
{%- set weights = scoring_setting('engagement', 'weights') %}
{%- set half_life = scoring_setting('affinity', 'half_life_days') %}

with events as (
    select * from {{ ref('person_events') }}
    where occurred_at <= {{ scoring_as_of() }}
),

purchases as (
    select * from {{ ref('person_orders') }}
    where ordered_at <= {{ scoring_as_of() }} and source = 'orders'
),

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
),

products as (
    select * from {{ ref('stg_shop__products') }}
),

event_signals as (
    select
        person_id,
        coalesce(product_category, category) as category,
        occurred_at,
        {{ scoring_weight(scoring_interaction_name(), weights) }} as weight
    from events
    where coalesce(product_category, category) is not null
      and coalesce(event_name, '') <> 'Order Completed'
),

purchase_signals as (
    select
        purchases.person_id,
        products.category,
        purchases.ordered_at as occurred_at,
        {{ scoring_weight("'Order Completed'", weights) }} as weight
    from purchases
    inner join order_items on order_items.order_id = purchases.order_id
    inner join products on products.product_id = order_items.product_id
    where products.category is not null
),

signals as (
    select * from event_signals where weight > 0
    union all
    select * from purchase_signals where weight > 0
),

per_category as (
    select
        person_id,
        category,
        count(*) as events,
        max(occurred_at) as last_interaction_at,
        sum({{ scoring_decayed('weight', 'occurred_at', half_life) }}) as affinity_raw
    from signals
    group by person_id, category
),

final as (
    select
        person_id,
        category,
        {{ scoring_as_of() }} as as_of,
        events,
        round(cast(events as double) / sum(events) over (partition by person_id), 4) as share,
        last_interaction_at,
        affinity_raw,
        {{ scoring_squash('affinity_raw', scoring_setting('affinity', 'scale')) }} as affinity,
        row_number() over (partition by person_id order by affinity_raw desc, events desc, category) as affinity_rank
    from per_category
)

select * from final
