-- One row per activity day × user × device × country × traffic source seen on that day's events,
-- with their count: agg_user_day numbers the users. Incremental by day: a day's rows come from
-- that day's events alone, so a run counts again only the days new events fall on. Reading
-- stg_events without its session columns costs a plain scan.
select
    event_date as activity_date,
    user_id,
    device,
    country,
    traffic_source,
    count(*) as events
from stg_events
group by all
