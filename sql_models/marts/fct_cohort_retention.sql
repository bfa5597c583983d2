-- Weekly cohort retention (METRICS.md §3). A user's cohort is the Monday-started week of their
-- first event; they are active in week_number n if they have any event in cohort week + n. Each
-- cohort gets a row for every week from 0 to the last week with data overall, zeros included.
-- Users' active weeks come from int_user_weeks (far fewer rows than events or user days).
with cohort_sizes as (
    select cohort_week, count(*) as cohort_size
    from int_user_journey
    group by cohort_week
),

cohort_weeks as (
    select
        c.cohort_week,
        c.cohort_size,
        unnest(range(0, cast(date_diff('day', c.cohort_week, l.last_week) // 7 as bigint) + 1)) as week_number
    from cohort_sizes as c
    cross join (select max(activity_week) as last_week from int_user_weeks) as l
),

cohort_activity as (
    select
        cohort_week,
        date_diff('day', cohort_week, activity_week) // 7 as week_number,
        count(*) as active_users
    from int_user_weeks
    group by all
)

select
    w.cohort_week,
    cast(w.week_number as integer) as week_number,
    w.cohort_week + cast(7 * w.week_number as integer) as activity_week,
    w.cohort_size,
    coalesce(a.active_users, 0) as active_users,
    coalesce(a.active_users, 0) / w.cohort_size as retention_rate
from cohort_weeks as w
left join cohort_activity as a
    on a.cohort_week = w.cohort_week
    and a.week_number = w.week_number
