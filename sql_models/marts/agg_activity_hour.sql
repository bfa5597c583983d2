-- Dashboards: events per day × UTC hour × device × country × traffic source, for the
-- hour-of-day × weekday activity heatmap under any filter.
select
    event_date as activity_date,
    cast(hour(event_time) as integer) as hour,
    device,
    country,
    traffic_source,
    count(*) as events
from stg_events
group by all
