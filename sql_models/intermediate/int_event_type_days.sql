-- One row per activity day × event type: how many events of the type the day has, and their
-- refunds in the workspace currency. Incremental by day (a run counts again only the days new
-- events fall on), so what is known of the whole workspace's event types (int_step_types) and
-- the daily event counts of fct_daily_engagement are read from a few hundred rows, not every
-- event.
select
    event_date as activity_date,
    event_type,
    count(*) as events,
    -- Money is never summed across currencies: null when the type has no refund that day.
    sum(line_refund) filter (
        where currency = coalesce(getvariable('workspace_currency'), 'USD')
    ) as refunds
from stg_events
group by all
