-- One row per person and category: affinity 0-100 (relation seg_affinity, `score: affinity.<Category>`).
with affinity as (
    select * from {{ ref('category_affinity') }}
),

final as (
    select person_id, category, affinity from affinity
)

select * from final
