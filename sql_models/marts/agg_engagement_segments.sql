-- Dashboards: DAU / WAU / MAU and new users per day for every segment filter the dashboards
-- offer (device, country, traffic source, each either one value or '*' = all), precomputed so a
-- filtered engagement chart is a lookup, not a distinct count over users.
--
-- Distinct users over trailing windows are counted exactly (METRICS.md §3, never sums of daily
-- counts): each user's active day d covers the days [d, min(d + N, next active day)), so a
-- running sum of +1 at the start and -1 at the end counts each user once per day.
--
-- The heavy part (one row per user, day and filter cell, 8 cells per user-day) works on integer
-- keys: a window sorts every column it carries, and small integers sort far faster than names.
with segments as (
    select
        device,
        country,
        traffic_source,
        cast(row_number() over (order by device, country, traffic_source) as integer) as segment_id
    from (select distinct device, country, traffic_source from agg_user_day)
),

-- The 8 filter shapes: each dimension either kept or rolled up into '*'.
shapes as (
    select * from (values
        (0, true, true, true), (1, true, true, false), (2, true, false, true),
        (3, true, false, false), (4, false, true, true), (5, false, true, false),
        (6, false, false, true), (7, false, false, false)
    ) as t(shape_id, by_device, by_country, by_source)
),

-- Every filter cell, and the cell each (segment, shape) falls into.
segment_cells as (
    select
        s.segment_id,
        case when h.by_device then s.device else '*' end as device,
        case when h.by_country then s.country else '*' end as country,
        case when h.by_source then s.traffic_source else '*' end as traffic_source
    from segments as s
    cross join shapes as h
),

cells as (
    select
        device,
        country,
        traffic_source,
        cast(row_number() over (order by device, country, traffic_source) as integer) as cell_id
    from (select distinct device, country, traffic_source from segment_cells)
),

segment_to_cell as (
    select sc.segment_id, c.cell_id
    from segment_cells as sc
    join cells as c using (device, country, traffic_source)
),

users as (
    select user_id, cast(row_number() over (order by user_id) as integer) as user_key
    from (select distinct user_id from agg_user_day)
),

cell_days as (
    select distinct m.cell_id, u.user_key, a.activity_date, a.is_first_day
    from agg_user_day as a
    join segments as s using (device, country, traffic_source)
    join segment_to_cell as m on m.segment_id = s.segment_id
    join users as u on u.user_id = a.user_id
),

-- The next active day of the same user in the same cell. The window sorts one BIGINT per row
-- (user key and day packed together) instead of a (user, day) pair: about a quarter faster.
keyed as (
    select
        cell_id,
        activity_date,
        is_first_day,
        (cast(user_key as bigint) << 20) | cast(activity_date - date '2000-01-01' as bigint) as k
    from cell_days
),

spans as (
    select
        cell_id,
        activity_date,
        is_first_day,
        case
            when (lead(k) over w) >> 20 = k >> 20
                then cast(date '2000-01-01' + cast((lead(k) over w) & 1048575 as integer) as date)
        end as next_active
    from keyed
    window w as (partition by cell_id order by k)
),

changes as (
    select cell_id, activity_date as day,
        1 as d_dau, 1 as d_wau, 1 as d_mau, case when is_first_day then 1 else 0 end as new_users
    from spans
    union all
    select cell_id, activity_date + 1, -1, 0, 0, 0
    from spans
    union all
    select cell_id, least(activity_date + 7, coalesce(next_active, activity_date + 7)),
        0, -1, 0, 0
    from spans
    union all
    select cell_id, least(activity_date + 30, coalesce(next_active, activity_date + 30)),
        0, 0, -1, 0
    from spans
),

per_day as (
    select cell_id, day,
        sum(d_dau) as d_dau, sum(d_wau) as d_wau, sum(d_mau) as d_mau, sum(new_users) as new_users
    from changes
    group by all
),

bounds as (
    select min(activity_date) as first_day, max(activity_date) as last_day from agg_user_day
),

-- Every day from the first to the last event day, for every filter cell.
spine as (
    select c.cell_id, cast(d.day as date) as day
    from cells as c
    cross join bounds as b
    cross join generate_series(b.first_day, b.last_day, interval 1 day) as d(day)
),

running as (
    select
        s.cell_id,
        s.day as activity_date,
        sum(coalesce(p.d_dau, 0)) over w as dau,
        sum(coalesce(p.d_wau, 0)) over w as wau,
        sum(coalesce(p.d_mau, 0)) over w as mau,
        coalesce(p.new_users, 0) as new_users
    from spine as s
    left join per_day as p on p.cell_id = s.cell_id and p.day = s.day
    window w as (
        partition by s.cell_id order by s.day
        rows between unbounded preceding and current row
    )
)

select
    r.activity_date,
    c.device,
    c.country,
    c.traffic_source,
    cast(r.dau as bigint) as dau,
    cast(r.wau as bigint) as wau,
    cast(r.mau as bigint) as mau,
    cast(r.new_users as bigint) as new_users
from running as r
join cells as c using (cell_id)
