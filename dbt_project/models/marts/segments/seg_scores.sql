-- One row per person: the behavior scores segment rules read (relation seg_scores).
with scores as (
    select * from {{ ref('behavior_scores') }}
),

final as (
    select
        person_id,
        engagement,
        intent,
        rfm_recency,
        rfm_frequency,
        rfm_monetary,
        rfm_code,
        tier,
        top_category
    from scores
)

select * from final
