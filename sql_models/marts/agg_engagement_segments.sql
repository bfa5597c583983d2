-- Dashboards: DAU / WAU / MAU and new users per day for every segment filter the dashboards
-- offer (device, country, traffic source, each either one value or '*' = all), precomputed so a
-- filtered engagement chart is a lookup, not a distinct count over users.
--
-- Distinct users over trailing windows are counted exactly (METRICS.md §3, never sums of daily
-- counts): each user's active day d covers the days [d, min(d + N, next active day)), so a
-- running sum of +1 at the start and -1 at the end counts each user once per day.
with user_days as (
    select distinct activity_date, user_id, device, country, traffic_source, is_first_day
    from agg_user_day
),

-- The 8 filter shapes: each dimension either kept or rolled up into '*'.
shapes as (
    select * from (values
        (true, true, true), (true, true, false), (true, false, true), (true, false, false),
        (false, true, true), (false, true, false), (false, false, true), (false, false, false)
    ) as t(by_device, by_country, by_source)
),

cell_days as (
    select distinct
        case when s.by_device then u.device else '*' end as device,
        case when s.by_country then u.country else '*' end as country,
        case when s.by_source then u.traffic_source else '*' end as traffic_source,
        u.user_id,
        u.activity_date,
        u.is_first_day
    from user_days as u
    cross join shapes as s
),

spans as (
    select
        device,
        country,
        traffic_source,
        activity_date,
        is_first_day,
        lead(activity_date) over (
            partition by device, country, traffic_source, user_id order by activity_date
        ) as next_active
    from cell_days
),

changes as (
    select device, country, traffic_source, activity_date as day,
        1 as d_dau, 1 as d_wau, 1 as d_mau, case when is_first_day then 1 else 0 end as new_users
    from spans
    union all
    select device, country, traffic_source, activity_date + 1, -1, 0, 0, 0
    from spans
    union all
    select device, country, traffic_source, least(activity_date + 7, coalesce(next_active, activity_date + 7)),
        0, -1, 0, 0
    from spans
    union all
    select device, country, traffic_source, least(activity_date + 30, coalesce(next_active, activity_date + 30)),
        0, 0, -1, 0
    from spans
),

per_day as (
    select device, country, traffic_source, day,
        sum(d_dau) as d_dau, sum(d_wau) as d_wau, sum(d_mau) as d_mau, sum(new_users) as new_users
    from changes
    group by all
),

bounds as (
    select min(activity_date) as first_day, max(activity_date) as last_day from agg_user_day
),

-- Every day from the first to the last event day, for every segment cell that ever had activity.
spine as (
    select c.device, c.country, c.traffic_source, cast(d.day as date) as day
    from (select distinct device, country, traffic_source from per_day) as c
    cross join bounds as b
    cross join generate_series(b.first_day, b.last_day, interval 1 day) as d(day)
),

running as (
    select
        s.day as activity_date,
        s.device,
        s.country,
        s.traffic_source,
        sum(coalesce(p.d_dau, 0)) over w as dau,
        sum(coalesce(p.d_wau, 0)) over w as wau,
        sum(coalesce(p.d_mau, 0)) over w as mau,
        coalesce(p.new_users, 0) as new_users
    from spine as s
    left join per_day as p
        on p.device = s.device and p.country = s.country
        and p.traffic_source = s.traffic_source and p.day = s.day
    window w as (
        partition by s.device, s.country, s.traffic_source order by s.day
        rows between unbounded preceding and current row
    )
)

select
    activity_date,
    device,
    country,
    traffic_source,
    cast(dau as bigint) as dau,
    cast(wau as bigint) as wau,
    cast(mau as bigint) as mau,
    cast(new_users as bigint) as new_users
from running
