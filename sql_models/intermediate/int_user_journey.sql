-- One row per user with at least one event: when they arrived, when (and whether) they first
-- bought, how much they did, and their cohort week (METRICS.md §3).
with user_sessions as (
    select
        user_id,
        min(session_start) as first_event_time,
        -- Days in the reporting time zone, from int_sessions (its first session's day).
        min(session_date) as first_event_date,
        max(session_end) as last_event_time,
        count(*) as sessions,
        cast(sum(events) as bigint) as events,
        cast(sum(purchases) as bigint) as purchases,
        cast(sum(units) as bigint) as units,
        sum(revenue) as revenue,
        min(first_purchase_time) as first_purchase_time,
        min(first_purchase_date) as first_purchase_date
    from int_sessions
    group by user_id
),

-- Where the user came from: their first session. Sessions starting at one instant are ordered by
-- their key, user_id || '|' || session_id, so by session_id within a user: reruns and every
-- engine agree. The first sessions are found by joining each user's first start back to the
-- sessions, and only those rows are ordered (mostly one per user). One arg_min of the three
-- fields over every session kept a state of blobs per user: at 100M events its 8M users no
-- longer fit DuckDB's memory for the aggregate, which then ran in partitions at twice the time.
first_sessions as (
    select s.user_id, s.country, s.device, s.traffic_source
    from int_sessions as s
    join user_sessions as u on u.user_id = s.user_id and u.first_event_time = s.session_start
    qualify row_number() over (partition by s.user_id order by s.session_id) = 1
),

-- Orders are counted as distinct order keys, not summed per session: one order id can span
-- sessions.
user_orders as (
    select user_id, count(distinct order_key) as orders
    from int_order_lines
    group by user_id
)

select
    s.user_id,
    s.first_event_time,
    s.first_event_date,
    s.last_event_time,
    s.first_purchase_time,
    s.first_purchase_date,
    epoch(s.first_purchase_time - s.first_event_time) as time_to_purchase_s,
    s.first_purchase_time is not null as is_buyer,
    s.sessions,
    s.events,
    s.purchases,
    coalesce(o.orders, 0) as orders,
    s.units,
    s.revenue,
    -- The Monday-started week (in the reporting time zone) of the first event's day.
    cast(date_trunc('week', s.first_event_date) as date) as cohort_week,
    f.country as first_country,
    f.device as first_device,
    f.traffic_source as first_traffic_source
from user_sessions as s
join first_sessions as f on f.user_id = s.user_id
left join user_orders as o on o.user_id = s.user_id
