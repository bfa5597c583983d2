-- One row per purchase event (an order line), with its session and order (METRICS.md §3: orders
-- are distinct order ids; lines without one form one order per session, 'session:<session_key>').
--
-- Reading stg_events without its session columns costs a plain scan; the session of a line
-- without a source session id is then looked up in int_sessions: it is the user's derived
-- session that started last at or before the line (derived sessions of a user are disjoint
-- stretches of time), an as-of join over purchases only.
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

derived_sessions as (
    select user_id, session_start, session_id
    from int_sessions
    where is_derived_session
),

lines as (
    select
        p.*,
        -- Lines with a source session id keep it; the as-of match is only used for the others.
        coalesce(p.source_session_id, d.session_id) as session_id
    from purchases as p
    asof left join derived_sessions as d
        on d.user_id = p.user_id
        and p.event_time >= d.session_start
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
