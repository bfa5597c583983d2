-- Every segment (device × country × traffic source) seen on any user's activity day: the filter
-- cells of agg_engagement_segments, which gets a row for each of them on every day.
select distinct device, country, traffic_source
from int_user_days
