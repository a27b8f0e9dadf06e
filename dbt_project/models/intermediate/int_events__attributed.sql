-- One row per event messageId, attributed to a person: the person of its user_id when the identity map
-- knows that user_id, else the person of its anonymous_id (so the history before login belongs to the
-- person too). The identity step maps every anonymous id, so a NULL person_id is an error (tested).
-- Every column a downstream model needs is carried here (properties for person_events, user_agent for
-- enrichment_features), so that no mart re-reads stg_tracking__events.
with events as (
    select * from {{ ref('stg_tracking__events') }}
),

identity_map as (
    select * from {{ ref('int_identity__map') }}
),

user_persons as (
    select id_value as user_id, person_id
    from identity_map
    where id_type = 'user_id'
),

anonymous_persons as (
    select id_value as anonymous_id, person_id
    from identity_map
    where id_type = 'anonymous_id'
),

attributed as (
    select
        ---------- ids
        events.message_id,
        coalesce(user_persons.person_id, anonymous_persons.person_id) as person_id,
        case
            when user_persons.person_id is not null then 'user_id'
            when anonymous_persons.person_id is not null then 'anonymous_id'
        end as attributed_by,
        events.user_id,
        events.anonymous_id,
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
        events.checkout_value,
        events.currency,
        events.search_query,
        events.list_id,
        events.video_id,
        events.campaign_id,
        events.email_id,
        events.variant,
        events.url,
        ---------- traits (identify)
        events.trait_email,
        ---------- context
        events.page_url,
        events.user_agent,
        events.utm_source,
        events.utm_medium,
        events.utm_campaign,
        ---------- time (UTC)
        events.occurred_at,
        events.received_date,
        events.is_late_arrival
    from events
    left join user_persons on user_persons.user_id = events.user_id
    left join anonymous_persons on anonymous_persons.anonymous_id = events.anonymous_id
),

final as (
    select * from attributed
)

select * from final
