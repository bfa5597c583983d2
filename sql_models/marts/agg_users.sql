-- Dashboards: one row per user with the first-ever event, the first purchase and the segment of
-- the first session (int_user_journey's rules), materialized so the time-to-first-purchase chart
-- never recomputes sessions. user_key numbers the users 1, 2, … in user_id order: agg_user_day
-- keys its rows by it (integers count and sort far faster than ids).
select
    user_id,
    cast(row_number() over (order by user_id) as integer) as user_key,
    first_event_time,
    first_event_date,
    first_purchase_time,
    cast(first_purchase_time as date) as first_purchase_date,
    time_to_purchase_s,
    first_device,
    first_country,
    first_traffic_source
from int_user_journey
