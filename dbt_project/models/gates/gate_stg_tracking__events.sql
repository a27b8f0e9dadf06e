-- The frame of the blocking gate ge_stg_tracking__events_critical (GE suite stg_tracking__events__critical): one row
-- per staged event (message_id). Derived columns turn row rules into column expectations. The gate adds
-- within_received_tolerance itself (occurred_at no later than the end of received_date + the run's setting
-- future_tolerance_hours), so the setting is applied when the gate runs, never baked into this view.
with events as (
    select * from {{ ref('stg_tracking__events') }}
),

final as (
    select
        message_id,
        event_type,
        occurred_at,
        received_date,
        coalesce(user_id, anonymous_id) as identity_id,
        (event_type is distinct from 'track' or event_name is not null) as track_has_event_name
    from events
)

select * from final
