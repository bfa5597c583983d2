-- description: fct_daily_engagement has one row for every day from the first to the last event day, none missing.
-- model: fct_daily_engagement
with span as (
    select
        count(*) as days,
        min(activity_date) as first_day,
        max(activity_date) as last_day
    from fct_daily_engagement
),

events as (
    select min(session_start) as first_event, max(session_end) as last_event from int_sessions
)

select *
from span
cross join events
where span.days <> coalesce(date_diff('day', span.first_day, span.last_day) + 1, 0)
    or span.first_day is distinct from cast(events.first_event as date)
    or span.last_day is distinct from cast(events.last_event as date)
