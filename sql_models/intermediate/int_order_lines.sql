-- One row per purchase event (an order line), with its session and order (METRICS.md §3: orders
-- are distinct order ids; lines without one form one order per session, 'session:<session_key>').
--
-- Reading stg_events without its session columns costs a plain scan; the session of a line
-- without a source session id is then looked up in int_sessions: it is the user's derived
-- session whose first and last events enclose the line (derived sessions of a user are disjoint
-- stretches of time, more than a timeout apart), matched on user and time bucket as in
-- int_session_products. An equality join builds on the sessions and streams the purchases, where
-- an as-of join sorted every derived session (at 10M events without source session ids it took
-- 1.6 s).
with purchases as (
    select
        event_id,
        event_time,
        event_date,
        user_id,
        source_session_id,
        order_id,
        product_id,
        category,
        brand,
        price,
        quantity,
        line_revenue,
        currency,
        device,
        country,
        traffic_source
    from stg_events
    where event_type = 'purchase'
),

-- A bucket of time in microseconds: the session timeout, at least an hour. This and the
-- derived sessions by bucket are as in int_session_products: keep the two in step.
bucket_size as (
    select cast(greatest(coalesce(getvariable('session_timeout_minutes'), 30), 60) as bigint)
        * 60000000 as us
),

-- The derived sessions by the buckets of time they span (a session of n events spans at most
-- n + 1 buckets).
derived_sessions as (
    select
        s.user_id,
        s.session_start,
        s.session_end,
        s.session_id,
        unnest(range(epoch_us(s.session_start) // b.us, epoch_us(s.session_end) // b.us + 1))
            as bucket
    from int_sessions as s
    cross join bucket_size as b
    where s.is_derived_session
),

lines as (
    select
        p.*,
        -- Lines with a source session id keep it; the others take their derived session.
        coalesce(p.source_session_id, d.session_id) as session_id
    from purchases as p
    cross join bucket_size as b
    left join derived_sessions as d
        on p.source_session_id is null
        and d.user_id = p.user_id
        and d.bucket = epoch_us(p.event_time) // b.us
        and p.event_time between d.session_start and d.session_end
)

select
    event_id,
    event_time,
    event_date,
    user_id,
    session_id,
    user_id || '|' || session_id as session_key,
    coalesce(order_id, 'session:' || user_id || '|' || session_id) as order_key,
    order_id,
    product_id,
    category,
    brand,
    price,
    quantity,
    line_revenue,
    currency,
    device,
    country,
    traffic_source
from lines
