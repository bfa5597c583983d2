-- Typed, cleaned events, each assigned to a session (METRICS.md §3).
--
-- A session is the source's session id when the event has one (scoped to the user: the key is
-- user + source id). Events without one are sessionized among themselves, per user, by time: a
-- new session starts at the user's first such event and after every gap of more than the
-- session timeout; events at the same instant share a session (their gap is 0).
with events as (
    select
        event_id,
        event_time,
        event_type,
        event_name,
        user_id,
        nullif(session_id, '') as source_session_id,
        nullif(product_id, '') as product_id,
        nullif(order_id, '') as order_id,
        price,
        quantity,
        nullif(category, '') as category,
        nullif(brand, '') as brand,
        coalesce(nullif(device, ''), 'unknown') as device,
        coalesce(nullif(country, ''), 'XX') as country,
        coalesce(nullif(traffic_source, ''), 'unknown') as traffic_source,
        properties,
        _batch_id
    from raw.events
),

-- The gap rule needs only user and time: window over a slim projection (a window sorts every
-- column it carries), one row per distinct instant, then join the result back.
unsessioned_instants as (
    select distinct user_id, event_time
    from raw.events
    where session_id is null or session_id = ''
),

instant_gaps as (
    select
        user_id,
        event_time,
        coalesce(
            event_time - lag(event_time) over by_user_time
                > to_minutes(getvariable('session_timeout_minutes')),
            true
        ) as starts_session
    from unsessioned_instants
    window by_user_time as (partition by user_id order by event_time)
),

-- Session starts only grow along a user's timeline, so the running max of the start instants
-- is the start of the session each instant belongs to. A derived session is named after its
-- start: two of a user's derived sessions start more than a timeout apart, so seconds suffice.
derived_sessions as (
    select
        user_id,
        event_time,
        'auto-' || strftime(
            max(case when starts_session then event_time end) over (
                partition by user_id order by event_time
                rows between unbounded preceding and current row
            ),
            '%Y%m%dT%H%M%S'
        ) as derived_session_id
    from instant_gaps
),

sessioned as (
    select
        e.*,
        coalesce(e.source_session_id, d.derived_session_id) as session_id
    from events as e
    left join derived_sessions as d
        on e.source_session_id is null
        and d.user_id = e.user_id
        and d.event_time = e.event_time
)

select
    event_id,
    event_time,
    cast(event_time as date) as event_date,
    event_type,
    event_name,
    user_id,
    source_session_id,
    -- Per user: the source's session id, or the derived one ('auto-<start>').
    session_id,
    -- Unique across users: sessions belong to one user.
    user_id || '|' || session_id as session_key,
    source_session_id is null as is_derived_session,
    product_id,
    -- Purchase lines without an order id form one order per session.
    case
        when event_type = 'purchase'
            then coalesce(order_id, 'session:' || user_id || '|' || session_id)
    end as order_key,
    order_id,
    price,
    quantity,
    -- A null price counts 0 (flagged by a warning test on purchases).
    case when event_type = 'purchase' then coalesce(price, 0) * quantity end as line_revenue,
    category,
    brand,
    device,
    country,
    traffic_source,
    properties,
    _batch_id
from sessioned
