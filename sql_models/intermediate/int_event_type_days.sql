-- One row per activity day × event type: how many events of the type the day has. Incremental
-- by day (a run counts again only the days new events fall on), so what is known of the whole
-- workspace's event types (int_step_types) is read from a few hundred rows, not every event.
select
    event_date as activity_date,
    event_type,
    count(*) as events
from stg_events
group by all
