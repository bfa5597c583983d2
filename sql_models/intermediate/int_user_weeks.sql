-- One row per user and week (Monday-started, in the reporting time zone) with any event of the
-- user, with the user's cohort week (the week of their first event): what fct_cohort_retention
-- counts. Far fewer rows than user days, and updated for the users with new events only.
with user_weeks as (
    -- Weeks first: a user's days fold into far fewer weeks before the join.
    select distinct user_id, cast(date_trunc('week', activity_date) as date) as activity_week
    from int_user_days
)

select
    w.user_id,
    j.cohort_week,
    w.activity_week
from user_weeks as w
join int_user_journey as j on j.user_id = w.user_id
