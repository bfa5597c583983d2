-- Dashboards: one row per user × activity day × device × country × traffic source, the input of
-- every segment-filtered distinct-user count (DAU/WAU/MAU). A user active on one day from two
-- devices has two rows; distinct counts over any filter stay exact because the user id is kept.
with user_segment_days as (
    select
        event_date as activity_date,
        user_id,
        device,
        country,
        traffic_source,
        count(*) as events
    from stg_events
    group by all
),

first_days as (
    select user_id, min(activity_date) as first_day
    from user_segment_days
    group by user_id
)

select
    u.activity_date,
    u.user_id,
    u.device,
    u.country,
    u.traffic_source,
    u.events,
    u.activity_date = f.first_day as is_first_day
from user_segment_days as u
join first_days as f on f.user_id = u.user_id
