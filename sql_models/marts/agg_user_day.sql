-- Dashboards: one row per user × activity day × device × country × traffic source, the input of
-- every segment-filtered distinct-user count (DAU/WAU/MAU). A user active on one day from two
-- devices has two rows; distinct counts over any filter stay exact because the user is kept, as
-- an integer user_key from int_user_keys (distinct counts and per-user windows over integers are
-- far cheaper than over the ids, and so is storing them), and as user_id, by which a run updates
-- the users with new events and the users int_user_keys renumbered.
with user_segment_days as (
    select * from int_user_days
),

users as (
    select
        j.user_id,
        j.first_event_date,
        k.user_key
    from int_user_journey as j
    join int_user_keys as k on k.user_id = j.user_id
)

select
    d.activity_date,
    u.user_key,
    d.user_id,
    d.device,
    d.country,
    d.traffic_source,
    d.events,
    d.activity_date = u.first_event_date as is_first_day
from user_segment_days as d
join users as u on u.user_id = d.user_id
