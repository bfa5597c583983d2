-- One row per day from the first to the last event day, zero-activity days included
-- (METRICS.md §2, §3).
--
-- Incremental by day: a day's row comes from its inputs' rows of that day and, for WAU and MAU,
-- of the 29 days before. The days are a series from the first to the last day read, with no
-- gaps, so a span that ends on a day between two stretches of days read still ends.
with day_bounds as (
    select min(date_day) as first_day, max(date_day) as last_day from dim_date
),

days as (
    select cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date)
        as activity_date
    from day_bounds
    where first_day is not null
),

-- Event counts per day, and refunds in the workspace currency, from the day × event type
-- counts (a few rows a day, where the events are millions).
daily_events as (
    select
        activity_date,
        cast(sum(events) as bigint) as events,
        cast(sum(events) filter (where event_type = 'product_view') as bigint) as product_views,
        cast(sum(events) filter (where event_type = 'add_to_cart') as bigint) as add_to_carts,
        cast(sum(events) filter (where event_type = 'purchase') as bigint) as purchases,
        sum(refunds) as refunds
    from int_event_type_days
    group by activity_date
),

-- Each user's active days as one BIGINT (user key, day), from agg_user_day (user × day ×
-- segment: a user active in two segments on a day has two rows, which the window below folds).
user_days as (
    select
        activity_date,
        is_first_day,
        (cast(user_key as bigint) << 32) | date_diff('day', (select min(activity_date) from agg_user_day), activity_date) as k
    from agg_user_day
),

-- Trailing distinct users without a range join: a user active on day d counts for the 7 (30)
-- days [d, d + N), cut short at their next active day so no user is counted twice. A +1 where
-- such a span starts and a -1 where it ends, summed up in day order, is WAU (MAU); DAU is the
-- number of spans starting on a day, and new users the number of those on a user's first day.
user_day_spans as (
    select
        activity_date,
        is_first_day,
        least(activity_date + 7, coalesce(next_active_date, activity_date + 7)) as wau_end,
        least(activity_date + 30, coalesce(next_active_date, activity_date + 30)) as mau_end
    from (
        select
            activity_date,
            is_first_day,
            -- Same user (high bits): the key difference is the number of days.
            case when next_k >> 32 = k >> 32
                then activity_date + cast(next_k - k as integer)
            end as next_active_date
        from (
            select activity_date, is_first_day, k, lead(k) over (order by k) as next_k
            from user_days
        )
        -- A user active in two segments on a day has two equal keys: keep the last.
        where next_k is distinct from k
    )
),

span_counts as (
    select
        activity_date,
        wau_end,
        mau_end,
        count(*) as spans,
        count(*) filter (where is_first_day) as new_users
    from user_day_spans
    group by all
),

span_edges as (
    select
        activity_date as edge_date,
        spans as dau,
        spans as wau_delta,
        spans as mau_delta,
        new_users
    from span_counts
    union all
    select wau_end, 0, -spans, 0, 0 from span_counts
    union all
    select mau_end, 0, 0, -spans, 0 from span_counts
),

daily_deltas as (
    select
        edge_date,
        sum(dau) as dau,
        sum(wau_delta) as wau_delta,
        sum(mau_delta) as mau_delta,
        sum(new_users) as new_users
    from span_edges
    group by edge_date
),

trailing_users as (
    select
        d.activity_date,
        coalesce(e.dau, 0) as dau,
        coalesce(e.new_users, 0) as new_users,
        sum(coalesce(e.wau_delta, 0)) over running as wau,
        sum(coalesce(e.mau_delta, 0)) over running as mau
    from days as d
    left join daily_deltas as e on e.edge_date = d.activity_date
    window running as (order by d.activity_date rows between unbounded preceding and current row)
),

-- Sessions count on the day they start.
daily_sessions as (
    select
        session_date as activity_date,
        count(*) as sessions,
        count(*) filter (where has_purchase) as sessions_with_purchase,
        -- The mean of whole microseconds, converted once: an average of doubles depends on the
        -- order the rows come in, so an update and a full rebuild could differ in the last digit.
        cast(sum(epoch_us(session_end) - epoch_us(session_start)) as double)
            / 1000000 / count(*) as avg_session_duration_s
    from int_sessions
    group by session_date
),

-- Orders and their revenue count on the order's day (its first line's). Money is never summed
-- across currencies: revenue is that of the orders in the workspace currency. An order with lines
-- in several currencies is a row of fct_orders per currency but one order (METRICS: distinct
-- order ids): counted by its first part, whose order_id is the order's own.
daily_orders as (
    select
        order_date as activity_date,
        count(*) filter (where order_id = order_key) as orders,
        sum(revenue) filter (
            where currency = coalesce(getvariable('workspace_currency'), 'USD')
        ) as revenue
    from fct_orders
    group by order_date
)

select
    d.activity_date,
    cast(t.dau as bigint) as dau,
    cast(t.wau as bigint) as wau,
    cast(t.mau as bigint) as mau,
    t.dau / nullif(t.mau, 0) as stickiness,
    cast(t.new_users as bigint) as new_users,
    coalesce(s.sessions, 0) as sessions,
    coalesce(a.events, 0) as events,
    coalesce(a.product_views, 0) as product_views,
    coalesce(a.add_to_carts, 0) as add_to_carts,
    coalesce(a.purchases, 0) as purchases,
    coalesce(o.orders, 0) as orders,
    coalesce(o.revenue, 0) as revenue,
    coalesce(a.refunds, 0) as refunds,
    coalesce(o.revenue, 0) - coalesce(a.refunds, 0) as net_revenue,
    coalesce(s.sessions_with_purchase, 0) as sessions_with_purchase,
    -- No sessions started that day: the rate is undefined, so null (not 0).
    s.sessions_with_purchase / nullif(s.sessions, 0) as conversion_rate,
    s.avg_session_duration_s
from days as d
left join daily_events as a on a.activity_date = d.activity_date
left join trailing_users as t on t.activity_date = d.activity_date
left join daily_sessions as s on s.activity_date = d.activity_date
left join daily_orders as o on o.activity_date = d.activity_date
