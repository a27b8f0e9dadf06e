-- One row per person who purchased at least once up to as_of (person_orders, orders table preferred): RFM values
-- and quintiles 1-5, 5 best, by ntile(5) over these buyers only (a person who never purchased has no row, so
-- behavior_scores shows NULL quintiles). Ties are broken by person_id, so the quintiles are deterministic.
--   recency    last_order_at (ever, up to as_of): the most recent buyers get 5
--   frequency  orders in (as_of - 365 days, as_of]: the most orders get 5 (a lapsed buyer's 0 ranks lowest)
--   monetary   revenue in the same 365 days: the highest revenue gets 5
-- ntile fills the buckets from 1 up: with fewer than 5 buyers the best quintile used is their count.
with features as (
    select * from {{ ref('behavior_features') }}
),

buyers as (
    select
        person_id,
        as_of,
        last_order_at,
        days_since_last_order,
        orders_365d,
        revenue_365d
    from features
    where has_ordered
),

quintiles as (
    select
        *,
        ntile(5) over (order by last_order_at, person_id) as rfm_recency,
        ntile(5) over (order by orders_365d, person_id) as rfm_frequency,
        ntile(5) over (order by revenue_365d, person_id) as rfm_monetary
    from buyers
),

final as (
    select
        person_id,
        as_of,
        last_order_at,
        days_since_last_order as recency_days,
        orders_365d as frequency,
        revenue_365d as monetary,
        rfm_recency,
        rfm_frequency,
        rfm_monetary,
        cast(rfm_recency as {{ dbt.type_string() }})
            || cast(rfm_frequency as {{ dbt.type_string() }})
            || cast(rfm_monetary as {{ dbt.type_string() }}) as rfm_code
    from quintiles
)

select * from final
