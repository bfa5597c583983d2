-- Weekly cohort retention (METRICS.md §3). A user's cohort is the Monday-started week of their
-- first event; they are active in week_number n if they have any event in cohort week + n. Each
-- cohort gets a row for every week from 0 to the last week with data overall, zeros included.
-- Users and their active days come from agg_user_day (far fewer rows than events): a user's
-- first active day is their first event's day.
with user_cohorts as (
    select user_key, cast(date_trunc('week', min(activity_date)) as date) as cohort_week
    from agg_user_day
    group by user_key
),

user_active_weeks as (
    select distinct user_key, cast(date_trunc('week', activity_date) as date) as activity_week
    from agg_user_day
),

cohort_sizes as (
    select cohort_week, count(*) as cohort_size
    from user_cohorts
    group by cohort_week
),

cohort_weeks as (
    select
        c.cohort_week,
        c.cohort_size,
        unnest(range(0, cast(date_diff('day', c.cohort_week, l.last_week) // 7 as bigint) + 1)) as week_number
    from cohort_sizes as c
    cross join (select max(activity_week) as last_week from user_active_weeks) as l
),

cohort_activity as (
    select
        u.cohort_week,
        date_diff('day', u.cohort_week, w.activity_week) // 7 as week_number,
        count(*) as active_users
    from user_active_weeks as w
    join user_cohorts as u on u.user_key = w.user_key
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
