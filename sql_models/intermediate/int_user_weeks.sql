-- One row per user and week (Monday-started, in the reporting time zone) with any event of the
-- user, with the user's cohort week (the week of their first event): what fct_cohort_retention
-- counts. Far fewer rows than user days, and updated for the users with new events only.
select distinct
    d.user_id,
    j.cohort_week,
    cast(date_trunc('week', d.activity_date) as date) as activity_week
from int_user_days as d
join int_user_journey as j on j.user_id = d.user_id
