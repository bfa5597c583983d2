-- One row per calendar day from the first to the last event day (METRICS.md §2), days of the
-- reporting time zone. Weeks start on Monday; day_of_week is ISO (Monday = 1 … Sunday = 7).
with bounds as (
    -- int_sessions is small and spans every event: first session start, last session end, as
    -- days of the reporting time zone.
    select
        min(session_date) as first_day,
        cast(
            timezone(coalesce(getvariable('time_zone'), 'UTC'), max(session_end) at time zone 'UTC')
            as date
        ) as last_day
    from int_sessions
),

days as (
    select cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date) as date_day
    from bounds
    where first_day is not null
)

select
    date_day,
    cast(isodow(date_day) as integer) as day_of_week,
    dayname(date_day) as day_name,
    isodow(date_day) >= 6 as is_weekend,
    cast(date_trunc('week', date_day) as date) as week_start,
    cast(date_trunc('month', date_day) as date) as month_start,
    cast(quarter(date_day) as integer) as quarter,
    cast(year(date_day) as integer) as year,
    cast(month(date_day) as integer) as month,
    monthname(date_day) as month_name,
    cast(day(date_day) as integer) as day_of_month,
    cast(dayofyear(date_day) as integer) as day_of_year,
    cast(weekofyear(date_day) as integer) as iso_week
from days
