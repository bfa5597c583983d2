-- Dashboards: one row per user × activity day × device × country × traffic source, the input of
-- every segment-filtered distinct-user count (DAU/WAU/MAU). A user active on one day from two
-- devices has two rows; distinct counts over any filter stay exact because the user is kept, as
-- an integer user_key (distinct counts and per-user windows over integers are far cheaper than
-- over the ids, and so is storing them).
with user_segment_days as (
    select * from int_user_days
),

users as (
    select
        user_id,
        first_event_date,
        cast(row_number() over (order by user_id) as integer) as user_key
    from int_user_journey
)

select
    d.activity_date,
    u.user_key,
    d.device,
    d.country,
    d.traffic_source,
    d.events,
    d.activity_date = u.first_event_date as is_first_day
from user_segment_days as d
join users as u on u.user_id = d.user_id
