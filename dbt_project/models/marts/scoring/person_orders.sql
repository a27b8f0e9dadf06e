-- One row per purchase attributed to a person, the one source of purchases for features, scores and RFM, so an
-- order is never counted twice. The orders table is preferred: every completed order of int_orders__attributed
-- that has a person (source 'orders'). An Order Completed event adds a purchase only when the orders table has
-- no row at all with its order_id (a shop without an orders export, or one lagging behind the events): source
-- 'events', the earliest event per order_id (or per message_id without order_id). An order the table holds as
-- refunded or cancelled is therefore no purchase, whatever events say; an unattributed order stays unattributed.
-- Like person_events, all purchases are kept; the models that use them filter ordered_at <= as_of.
with orders as (
    select * from {{ ref('int_orders__attributed') }}
),

events as (
    select * from {{ ref('person_events') }}
),

table_purchases as (
    select
        order_id as purchase_id,
        person_id,
        order_id,
        cast(null as {{ dbt.type_string() }}) as message_id,
        ordered_at,
        cast(total as decimal(18, 2)) as order_total,
        'orders' as source
    from orders
    where status = 'completed' and person_id is not null and ordered_at is not null
),

event_purchases as (
    select
        coalesce(events.order_id, 'event:' || events.message_id) as purchase_id,
        events.person_id,
        events.order_id,
        events.message_id,
        events.occurred_at as ordered_at,
        cast(events.order_total as decimal(18, 2)) as order_total,
        'events' as source
    from events
    left join orders on orders.order_id = events.order_id
    where events.event_name = 'Order Completed' and orders.order_id is null
    qualify row_number() over (
        partition by coalesce(events.order_id, 'event:' || events.message_id)
        order by events.occurred_at, events.message_id
    ) = 1
),

final as (
    select * from table_purchases
    union all
    select * from event_purchases
)

select * from final
