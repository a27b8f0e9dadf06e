-- One row per deduplicated event attributed to a person (relation seg_events of the segment language):
-- person_events as it is; segment rules apply their own windows and ignore events after as_of.
select * from {{ ref('person_events') }}
