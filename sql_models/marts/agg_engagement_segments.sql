-- Dashboards: DAU / WAU / MAU and new users per day for the segment filters that set at most one
-- dimension (all users; one device; one country; one traffic source; the others '*' = all),
-- precomputed so the usual filtered engagement chart is a lookup, not a distinct count. Filters
-- on two or three dimensions select few enough rows of agg_user_day to be counted when asked.
--
-- Distinct users over trailing windows are counted exactly (METRICS.md §3, never sums of daily
-- counts): each user's active day d covers the days [d, min(d + N, next active day)), so a
-- running sum of +1 at the start and -1 at the end counts each user once per day. All users
-- (every dimension '*') are fct_daily_engagement's counts, made by the same rule.
--
-- The heavy part (one row per user, day and filter cell, 3 cells per user-day) works on integer
-- keys: a window sorts every column it carries, and small integers sort far faster than names.
--
-- Incremental by day: a day's counts come from agg_user_day's rows of that day and the 29 before
-- it. Every filter cell comes from int_segments (every segment of every day), and the days from
-- dim_date, so a cell gets its row for a day without activity in an update as in a full build.
with segments as (
    select
        device,
        country,
        traffic_source,
        cast(row_number() over (order by device, country, traffic_source) as integer) as segment_id
    from int_segments
),

-- The filter shapes: one dimension kept and the others rolled up into '*'.
shapes as (
    select * from (values
        (true, false, false), (false, true, false), (false, false, true)
    ) as t(by_device, by_country, by_source)
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

-- The first and the last event day (of the days read, in an update).
bounds as (
    select min(date_day) as first_day, max(date_day) as last_day from dim_date
),

-- A user's active days per cell, each as one BIGINT (user key and day packed together): the
-- window below sorts one integer per row instead of a (user, day) pair.
keyed as (
    select
        m.cell_id,
        a.activity_date,
        a.is_first_day,
        (cast(a.user_key as bigint) << 32) | date_diff('day', b.first_day, a.activity_date) as k
    from agg_user_day as a
    cross join bounds as b
    join segments as s using (device, country, traffic_source)
    join segment_to_cell as m on m.segment_id = s.segment_id
),

-- The next active day of the same user in the same cell. A user active on one day in two
-- segments of a cell has two equal keys there: only the last of them is kept (no DISTINCT pass).
spans as (
    select
        cell_id,
        activity_date,
        is_first_day,
        case
            when next_k >> 32 = k >> 32
                then cast(b.first_day + cast(next_k & 4294967295 as integer) as date)
        end as next_active
    from (select *, lead(k) over (partition by cell_id order by k) as next_k from keyed)
    cross join bounds as b
    where next_k is distinct from k
),

-- Spans counted by start and end days first (far fewer rows than spans), then DAU is the
-- count of starts on a day, and WAU and MAU end a span at its end day.
span_kinds as (
    select
        cell_id,
        activity_date,
        least(activity_date + 7, coalesce(next_active, activity_date + 7)) as wau_end,
        least(activity_date + 30, coalesce(next_active, activity_date + 30)) as mau_end,
        count(*) as spans,
        count(*) filter (where is_first_day) as new_users
    from spans
    group by all
),

changes as (
    select cell_id, activity_date as day, spans as starts, spans as d_wau, spans as d_mau, new_users
    from span_kinds
    union all
    select cell_id, wau_end, 0, -spans, 0, 0
    from span_kinds
    union all
    select cell_id, mau_end, 0, 0, -spans, 0
    from span_kinds
),

per_day as (
    select cell_id, day,
        sum(starts) as dau, sum(d_wau) as d_wau, sum(d_mau) as d_mau, sum(new_users) as new_users
    from changes
    group by all
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
        coalesce(p.dau, 0) as dau,
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
union all
select activity_date, '*', '*', '*', dau, wau, mau, new_users
from fct_daily_engagement
