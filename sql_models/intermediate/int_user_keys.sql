-- Every user with events numbered 1, 2, … in the order they arrived: by their first event's
-- time, then user_id. The integer twin of user_id that agg_user_day carries (distinct counts and
-- per-user windows over integers are far cheaper than over the ids).
--
-- Numbered in arrival order, users keep their numbers when new events come in: new users
-- arrive after everyone else, so only their rows are added, and the models keyed by the number
-- are updated for the users with new events alone. A late event that moves a user's first event
-- renumbers the users between: those rows change, and the models follow them. The place
-- (first_event_time, user_id) is kept with the number, so an update finds the first place that
-- changed and numbers the users from there on only (partition_by.number).
select
    user_id,
    first_event_time,
    cast(row_number() over (order by first_event_time, user_id) as integer) as user_key
from int_user_journey
