-- One row per session (METRICS.md §3): who, when, where from, what happened, and how far down the
-- ordered funnel product_view → add_to_cart → begin_checkout → purchase the session got.
--
-- Everything comes out of one pass over stg_events grouped by session; the funnel is then worked
-- out per session from its step events' times, so the events are sessionized once per run.
with session_events as (
    select
        user_id,
        session_id,
        is_derived_session,
        event_time,
        event_date,
        event_type,
        device,
        traffic_source,
        country,
        quantity,
        -- Money is never summed across currencies: a session's revenue is in the workspace
        -- currency only.
        case when currency = coalesce(getvariable('workspace_currency'), 'USD') then line_revenue end
            as line_revenue,
        event_id
    from stg_events
),

session_totals as (
    select
        -- A session id is per user: group by both (cheaper than by the joined key, which is
        -- built once per session below).
        user_id,
        session_id,
        bool_or(is_derived_session) as is_derived_session,
        min(event_time) as session_start,
        max(event_time) as session_end,
        -- The reporting-zone day of the first event: local days only grow with time, so the
        -- first event's day is the earliest day.
        min(event_date) as session_date,
        -- The session's device, source and country are those of its first event (ties at one
        -- instant: the lowest event_id, so reruns and every engine agree). The three fields of
        -- one first row: DuckDB finds that row once (the identical aggregates are computed
        -- once), where an arg_min per column compared the (time, id) key three times per event.
        arg_min({'device': device, 'traffic_source': traffic_source, 'country': country},
            (event_time, event_id)).device as device,
        arg_min({'device': device, 'traffic_source': traffic_source, 'country': country},
            (event_time, event_id)).traffic_source as traffic_source,
        arg_min({'device': device, 'traffic_source': traffic_source, 'country': country},
            (event_time, event_id)).country as country,
        count(*) as events,
        count(*) filter (where event_type = 'page_view') as page_views,
        count(*) filter (where event_type = 'product_view') as product_views,
        count(*) filter (where event_type = 'search') as searches,
        count(*) filter (where event_type = 'add_to_cart') as add_to_carts,
        count(*) filter (where event_type = 'remove_from_cart') as remove_from_carts,
        count(*) filter (where event_type = 'begin_checkout') as begin_checkouts,
        count(*) filter (where event_type = 'purchase') as purchases,
        cast(coalesce(sum(quantity) filter (where event_type = 'purchase'), 0) as bigint) as units,
        coalesce(sum(line_revenue), 0) as revenue,
        -- Funnel inputs: the first view, and every later step's event times.
        min(event_time) filter (where event_type = 'product_view') as first_product_view_time,
        list(event_time) filter (where event_type = 'add_to_cart') as add_to_cart_times,
        list(event_time) filter (where event_type = 'begin_checkout') as checkout_times,
        list(event_time) filter (where event_type = 'purchase') as purchase_times,
        min(event_time) filter (where event_type = 'purchase') as first_purchase_time,
        min(event_date) filter (where event_type = 'purchase') as first_purchase_date
    from session_events
    group by user_id, session_id
),

-- A step type that occurs nowhere in the workspace is skipped: treated as reached at the
-- previous step's time, and step 1 at the session's start, so an order-only source gets
-- sessions -> purchase rather than zeros.
-- Step k is reached at the earliest step-k event at or after the time step k-1 was reached
-- (events in between allowed, same instant counts).
reached_view as (
    select
        s.*,
        p.*,
        case
            when not p.has_product_view then s.session_start
            else s.first_product_view_time
        end as product_view_at
    from session_totals as s
    cross join int_step_types as p
),

reached_cart as (
    select
        *,
        case
            when not has_add_to_cart then product_view_at
            else list_min(list_filter(add_to_cart_times, lambda t: t >= product_view_at))
        end as add_to_cart_at
    from reached_view
),

reached_checkout as (
    select
        *,
        case
            when not has_begin_checkout then add_to_cart_at
            else list_min(list_filter(checkout_times, lambda t: t >= add_to_cart_at))
        end as checkout_at
    from reached_cart
),

reached_purchase as (
    select
        *,
        case
            when not has_purchase then checkout_at
            else list_min(list_filter(purchase_times, lambda t: t >= checkout_at))
        end as purchase_at
    from reached_checkout
)

select
    user_id || '|' || session_id as session_key,
    user_id,
    session_id,
    is_derived_session,
    session_start,
    session_end,
    session_date,
    epoch(session_end - session_start) as duration_s,
    events = 1 as is_bounce,
    device,
    traffic_source,
    country,
    events,
    page_views,
    product_views,
    searches,
    add_to_carts,
    remove_from_carts,
    begin_checkouts,
    purchases,
    units,
    revenue,
    purchases > 0 as has_purchase,
    first_purchase_time,
    first_purchase_date,
    product_view_at,
    add_to_cart_at,
    checkout_at,
    purchase_at,
    product_view_at is not null as reached_product_view,
    add_to_cart_at is not null as reached_add_to_cart,
    checkout_at is not null as reached_checkout,
    purchase_at is not null as reached_purchase
from reached_purchase
