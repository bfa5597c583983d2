-- Dashboards: one row per user with the first-ever event, the first purchase and the segment of
-- the first session (int_user_journey's rules), materialized so the time-to-first-purchase chart
-- never recomputes sessions.
select
    user_id,
    first_event_time,
    first_event_date,
    first_purchase_time,
    cast(first_purchase_time as date) as first_purchase_date,
    time_to_purchase_s,
    first_device,
    first_country,
    first_traffic_source
from int_user_journey
