-- Typed, cleaned events, each assigned to a session (METRICS.md §3).
--
-- A session is the source's session id when the event has one (scoped to the user: the key is
-- user + source id). Events without one are sessionized among themselves, per user, by time: a
-- new session starts at the user's first such event and after every gap of more than the
-- session timeout; events at the same instant share a session (their gap is 0).
--
-- Both window passes order a user's events by time alone. Events at one instant may come in
-- any order: the first of them in the first pass gets the gap from the instant before (so at
-- most one of them starts a session), the others a gap of 0; the second pass's frame takes in
-- every event of the current instant (RANGE, not ROWS), so they all see that start whichever
-- row holds it. Ordering by (time, event_id) instead gave the same sessions at a wider sort
-- key: 7.2-7.4 s against 6.7-7.0 s for int_sessions at 10M events without source session ids.
--
-- The sessionization is two window passes over the events without a source id (no join back).
-- In a view this is cheap for every reader that does not ask for a session column: the
-- optimizer drops the windows, so such readers cost a plain scan of raw.events. The cleaned
-- events are read twice (with and without a source id): not materialized, so each read is a
-- filtered scan rather than a copy of every event.
--
-- Days and hours of day are those of the reporting time zone (METRICS.md; the runner sets the
-- variable from the workspace settings, UTC when run by hand): event_time_local is the event's
-- wall-clock time there and event_date its calendar day. Every later model takes its days from
-- these two columns, so the zone is applied here only. Converting each event through the time
-- zone database would cost more than the rest of a plain scan, so the UTC offset is worked out
-- once per UTC day of the data's span: on a day without an offset change (all but a few a year)
-- an event's local time is its UTC time plus that day's offset, and only the events of the days
-- a change falls on are converted one by one. In UTC nothing is converted at all.
with zone as (
    select
        min(utc_day) as first_utc_day,
        -- Null on a day whose offset changes: its events are converted one by one.
        list(case when offset_at_start = offset_at_end then offset_at_start end order by utc_day)
            as day_offsets
    from (
        select
            utc_day,
            timezone(getvariable('time_zone'), make_timestamp(utc_day * 86400000000) at time zone 'UTC')
                - make_timestamp(utc_day * 86400000000) as offset_at_start,
            timezone(getvariable('time_zone'), make_timestamp((utc_day + 1) * 86400000000) at time zone 'UTC')
                - make_timestamp((utc_day + 1) * 86400000000) as offset_at_end
        from (select min(event_time) as first_time, max(event_time) as last_time from raw.events),
            range(epoch_us(first_time) // 86400000000, epoch_us(last_time) // 86400000000 + 1)
                as days(utc_day)
        where coalesce(getvariable('time_zone'), 'UTC') <> 'UTC'
    )
),

events as not materialized (
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
        -- ISO code of price; null is the workspace currency. The runner sets the variable from
        -- the workspace settings; USD when run by hand.
        coalesce(currency, getvariable('workspace_currency'), 'USD') as currency,
        _batch_id
    from raw.events
),

-- The gap rule only concerns events without a source session id: only they go through the
-- two window passes (over user and time), the others keep their source id as they are.
unsessioned_gaps as (
    select
        *,
        coalesce(
            -- The runner sets the variable from the workspace settings; 30 when run by hand.
            event_time - lag(event_time) over user_timeline
                > to_minutes(coalesce(getvariable('session_timeout_minutes'), 30)),
            true
        ) as starts_session
    from events
    where source_session_id is null
    window user_timeline as (partition by user_id order by event_time)
),

-- Session starts only grow along a user's timeline, so the running max of the start instants
-- is the start of the session an event belongs to. A derived session is named after its start:
-- two of a user's derived sessions start more than a timeout apart, so seconds suffice.
sessioned as (
    select *, source_session_id as session_id
    from events
    where source_session_id is not null
    union all
    select
        * exclude (starts_session),
        'auto-' || strftime(
            max(case when starts_session then event_time end) over (
                partition by user_id order by event_time
                range between unbounded preceding and current row
            ),
            '%Y%m%dT%H%M%S'
        ) as session_id
    from unsessioned_gaps
),

local_times as (
    select
        s.*,
        case
            when coalesce(getvariable('time_zone'), 'UTC') = 'UTC' then s.event_time
            else coalesce(
                s.event_time + z.day_offsets[epoch_us(s.event_time) // 86400000000 - z.first_utc_day + 1],
                timezone(getvariable('time_zone'), s.event_time at time zone 'UTC')
            )
        end as event_time_local
    from sessioned as s
    cross join zone as z
)

select
    event_id,
    event_time,
    -- Wall-clock time and calendar day in the reporting time zone.
    event_time_local,
    cast(event_time_local as date) as event_date,
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
    -- Purchase lines without an order id form one order per session (int_order_lines builds
    -- the same key without sessionizing every event; keep the two in step).
    case
        when event_type = 'purchase'
            then coalesce(order_id, 'session:' || user_id || '|' || session_id)
    end as order_key,
    order_id,
    price,
    quantity,
    -- A null price counts 0 (flagged by a warning test on purchases).
    case when event_type = 'purchase' then coalesce(price, 0) * quantity end as line_revenue,
    -- Refund lines carry the refunded quantity as a positive number.
    case when event_type = 'refund' then coalesce(price, 0) * quantity end as line_refund,
    currency,
    category,
    brand,
    device,
    country,
    traffic_source,
    properties,
    _batch_id
from local_times
