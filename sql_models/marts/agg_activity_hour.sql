-- Dashboards: events per day × hour of day × device × country × traffic source, for the
-- hour-of-day × weekday activity heatmap under any filter. Days and hours are those of the
-- reporting time zone (a day a clock change falls on has 23 or 25 hours of events).
select
    event_date as activity_date,
    cast(hour(event_time_local) as integer) as hour,
    device,
    country,
    traffic_source,
    count(*) as events
from stg_events
group by all
