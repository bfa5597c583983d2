-- Dashboards: one row per buyer with the first-ever event, the first purchase and the segment of
-- the first session (int_user_journey's rules), materialized so the time-to-first-purchase chart
-- never recomputes sessions. Users who never bought are not needed there, so they are left out.
select
    user_id,
    first_event_time,
    first_event_date,
    first_purchase_time,
    first_purchase_date,
    time_to_purchase_s,
    first_device,
    first_country,
    first_traffic_source
from int_user_journey
where first_purchase_time is not null
