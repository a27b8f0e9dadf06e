-- One row per person of profiles_cleaned: scores at the run's as_of (var `as_of`), settings from the var
-- `scoring` (scoring.yml). Only events and purchases up to as_of count. Formulas (age_days = days before as_of):
--   engagement_raw  sum over interactions of weight(event) * 0.5 ^ (age_days / engagement.half_life_days);
--                   interactions are track/page events (page events weigh as 'Page Viewed') except Order
--                   Completed, plus every purchase of person_orders weighing as 'Order Completed' (so an order
--                   seen as both a row of the orders table and an event counts once)
--   engagement      100 * (1 - exp(-engagement_raw / engagement.scale)), 0-100, 2 decimals
--   intent_raw      sum over the intent signals in (as_of - intent.window_days, as_of] that happened after the
--                   person's last purchase (not followed by an order) of intent weight * 0.5 ^ (age_days /
--                   intent.half_life_days)
--   intent          100 * (1 - exp(-intent_raw / intent.scale)), 0-100, 2 decimals
--   rfm_*           from rfm (NULL for a person who never purchased)
--   tier            the first match, in this order ("in N days" = in (as_of - N days, as_of]):
--     highly_engaged   engagement >= tiers.highly_engaged.min_engagement (70)
--     potential_buyer  intent >= tiers.potential_buyer.min_intent (50) and no purchase in no_order_days (30)
--     new              first seen in tiers.new.first_seen_days (30)
--     dormant          no activity in tiers.dormant.inactive_days (180), never any activity included
--     at_risk          purchased before, and no activity in tiers.at_risk.inactive_days (60)
--     casual           everyone else (tier is never NULL)
{%- set engagement_weights = scoring_setting('engagement', 'weights') %}
{%- set intent_weights = scoring_setting('intent', 'weights') %}

with features as (
    select * from {{ ref('behavior_features') }}
),

events as (
    select * from {{ ref('person_events') }}
    where occurred_at <= {{ scoring_as_of() }}
),

purchases as (
    select * from {{ ref('person_orders') }}
    where ordered_at <= {{ scoring_as_of() }}
),

rfm as (
    select * from {{ ref('rfm') }}
),

affinity as (
    select * from {{ ref('category_affinity') }}
),

engagement_points as (
    select
        person_id,
        {{ scoring_decayed(scoring_weight(scoring_interaction_name(), engagement_weights), 'occurred_at',
                           scoring_setting('engagement', 'half_life_days')) }} as points
    from events
    where coalesce(event_name, '') <> 'Order Completed'
    union all
    select
        person_id,
        {{ scoring_decayed(scoring_weight("'Order Completed'", engagement_weights), 'ordered_at',
                           scoring_setting('engagement', 'half_life_days')) }} as points
    from purchases
),

engagement as (
    select person_id, sum(points) as engagement_raw
    from engagement_points
    group by person_id
),

intent_points as (
    select
        events.person_id,
        {{ scoring_decayed(scoring_weight(scoring_interaction_name('events.event_type', 'events.event_name'),
                                          intent_weights), 'events.occurred_at',
                           scoring_setting('intent', 'half_life_days')) }} as points
    from events
    inner join features on features.person_id = events.person_id
    where {{ scoring_within('events.occurred_at', scoring_setting('intent', 'window_days')) }}
      and (features.last_order_at is null or events.occurred_at > features.last_order_at)
),

intent as (
    select person_id, sum(points) as intent_raw
    from intent_points
    group by person_id
),

top_categories as (
    select person_id, category as top_category
    from affinity
    where affinity_rank = 1
),

scored as (
    select
        features.person_id,
        features.as_of,
        cast(coalesce(engagement.engagement_raw, 0) as decimal(38, 9)) as engagement_raw,
        cast(coalesce(intent.intent_raw, 0) as decimal(38, 9)) as intent_raw,
        rfm.rfm_recency,
        rfm.rfm_frequency,
        rfm.rfm_monetary,
        rfm.rfm_code,
        top_categories.top_category,
        features.has_ordered,
        features.first_seen_at,
        features.last_activity_at,
        features.last_order_at
    from features
    left join engagement on engagement.person_id = features.person_id
    left join intent on intent.person_id = features.person_id
    left join rfm on rfm.person_id = features.person_id
    left join top_categories on top_categories.person_id = features.person_id
),

squashed as (
    select
        *,
        {{ scoring_squash('engagement_raw', scoring_setting('engagement', 'scale')) }} as engagement,
        {{ scoring_squash('intent_raw', scoring_setting('intent', 'scale')) }} as intent
    from scored
),

final as (
    select
        ---------- ids
        person_id,
        as_of,
        ---------- scores
        engagement,
        engagement_raw,
        intent,
        intent_raw,
        rfm_recency,
        rfm_frequency,
        rfm_monetary,
        rfm_code,
        top_category,
        ---------- tier: the first match wins, in this order
        case
            when engagement >= {{ scoring_setting('tiers', 'highly_engaged.min_engagement') | float }}
                then 'highly_engaged'
            when intent >= {{ scoring_setting('tiers', 'potential_buyer.min_intent') | float }}
                and (last_order_at is null
                     or last_order_at <= {{ scoring_as_of(scoring_setting('tiers', 'potential_buyer.no_order_days')) }})
                then 'potential_buyer'
            when first_seen_at > {{ scoring_as_of(scoring_setting('tiers', 'new.first_seen_days')) }}
                then 'new'
            when last_activity_at is null
                or last_activity_at <= {{ scoring_as_of(scoring_setting('tiers', 'dormant.inactive_days')) }}
                then 'dormant'
            when has_ordered
                and last_activity_at <= {{ scoring_as_of(scoring_setting('tiers', 'at_risk.inactive_days')) }}
                then 'at_risk'
            else 'casual'
        end as tier,
        ---------- what the tiers read (UTC)
        has_ordered,
        first_seen_at,
        last_activity_at,
        last_order_at
    from squashed
)

select * from final
