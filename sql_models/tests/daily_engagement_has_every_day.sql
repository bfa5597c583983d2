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
    -- Days of the reporting time zone.
    select
        min(session_date) as first_day,
        cast(
            timezone(coalesce(getvariable('time_zone'), 'UTC'), max(session_end) at time zone 'UTC')
            as date
        ) as last_day
    from int_sessions
)

select *
from span
cross join events
where span.days <> coalesce(date_diff('day', span.first_day, span.last_day) + 1, 0)
    or span.first_day is distinct from events.first_day
    or span.last_day is distinct from events.last_day
