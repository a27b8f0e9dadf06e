-- Behavior features of the inference model (orchestration/lib/enrichment/inference.py), long: one row per person and
-- feature (person_id, feature, value); a feature a person lacks counts as 0. Everything up to the run's as_of.
--   category_share:<category>        scoring's category_affinity share (sums to 1 per person)
--   subcategory_share:<subcategory>  share of the person's catalog-product events per subcategory
--   hour_share:<night|morning|afternoon|evening>  share of site/app events by UTC hour (0-5, 6-11, 12-17, 18-23)
--   device_share:<mobile|tablet|desktop>          share of site/app events by user agent
--   avg_viewed_price_90d, avg_added_price_90d, avg_purchased_price_365d, events_30d, sessions_30d,
--   orders_365d, revenue_365d     from behavior_features (NULL averages are left out)
with events as (
    select * from {{ ref('person_events') }}
    where occurred_at <= {{ scoring_as_of() }}
),

attributed_events as (
    -- the user agent, which person_events does not carry
    select message_id, user_agent from {{ ref('int_events__attributed') }}
),

affinity as (
    select * from {{ ref('category_affinity') }}
),

behavior as (
    select * from {{ ref('behavior_features') }}
),

site_events as (
    select
        events.person_id,
        extract(hour from events.occurred_at) as hour_utc,
        case
            when attributed_events.user_agent ilike '%ipad%' or attributed_events.user_agent ilike '%tablet%'
                 or (attributed_events.user_agent ilike '%android%' and attributed_events.user_agent not ilike '%mobile%'
                     and attributed_events.user_agent not ilike 'shopapp%') then 'tablet'
            when attributed_events.user_agent ilike '%mobile%' or attributed_events.user_agent ilike '%iphone%'
                 or attributed_events.user_agent ilike '%android%' then 'mobile'
            when attributed_events.user_agent is not null then 'desktop'
        end as device
    from events
    left join attributed_events on attributed_events.message_id = events.message_id
    where events.session_id is not null
),

hour_shares as (
    select
        person_id,
        'hour_share:' || case
            when hour_utc < 6 then 'night' when hour_utc < 12 then 'morning'
            when hour_utc < 18 then 'afternoon' else 'evening' end as feature,
        count(*) * 1.0 / sum(count(*)) over (partition by person_id) as value
    from site_events
    group by 1, 2
),

device_shares as (
    select
        person_id,
        'device_share:' || device as feature,
        count(*) * 1.0 / sum(count(*)) over (partition by person_id) as value
    from site_events
    where device is not null
    group by 1, 2
),

subcategory_shares as (
    select
        person_id,
        'subcategory_share:' || product_subcategory as feature,
        count(*) * 1.0 / sum(count(*)) over (partition by person_id) as value
    from events
    where product_subcategory is not null
    group by 1, 2
),

category_shares as (
    select person_id, 'category_share:' || category as feature, cast(share as double) as value
    from affinity
),

behavior_values as (
    {%- set columns = ['avg_viewed_price_90d', 'avg_added_price_90d', 'avg_purchased_price_365d', 'events_30d',
                       'sessions_30d', 'orders_365d', 'revenue_365d'] %}
    {%- for column in columns %}
    select person_id, '{{ column }}' as feature, cast({{ column }} as double) as value
    from behavior
    where {{ column }} is not null
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

final as (
    select * from category_shares
    union all
    select * from subcategory_shares
    union all
    select * from hour_shares
    union all
    select * from device_shares
    union all
    select * from behavior_values
)

select person_id, feature, cast(value as double) as value from final
