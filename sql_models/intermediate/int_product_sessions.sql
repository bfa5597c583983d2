-- One row per product × day: the session counts behind the product rates, which are shares of
-- sessions (METRICS.md §3, product performance). A session × product pair counts on the day of
-- its first view of the product for the view-based counts (the pair viewed it; and carted, or
-- bought, it at or after that first view), and on the day of its first cart for the cart-based
-- ones (carted it; and bought it at or after that first cart). So the counts add up over days
-- to the product's, and over any range each numerator stays within its denominator.
--
-- Reading stg_events without its session columns costs a plain scan; events without a source
-- session id get their session as int_order_lines does (the user's derived session that started
-- last at or before the event, an as-of join), so the events are not sessionized again.
with product_events as not materialized (
    select user_id, source_session_id, product_id, event_type, event_time, event_date
    from stg_events
    where product_id is not null
        and event_type in ('product_view', 'add_to_cart', 'purchase')
),

derived_sessions as (
    select user_id, session_start, session_id
    from int_sessions
    where is_derived_session
),

sessioned as (
    select user_id, source_session_id as session_id, product_id, event_type, event_time, event_date
    from product_events
    where source_session_id is not null
    union all
    select p.user_id, d.session_id, p.product_id, p.event_type, p.event_time, p.event_date
    from product_events as p
    asof left join derived_sessions as d
        on d.user_id = p.user_id
        and p.event_time >= d.session_start
    where p.source_session_id is null
),

-- One row per session × product: when it was first viewed and carted there, and whether a cart
-- (purchase) followed at or after the first view (cart).
pairs as (
    select
        product_id,
        first_view_time,
        first_cart_time,
        first_view_date,
        first_cart_date,
        coalesce(last_cart_time >= first_view_time, false) as viewed_then_carted,
        coalesce(last_purchase_time >= first_view_time, false) as viewed_then_bought,
        coalesce(last_purchase_time >= first_cart_time, false) as carted_then_bought
    from (
        select
            product_id,
            min(event_time) filter (where event_type = 'product_view') as first_view_time,
            min(event_time) filter (where event_type = 'add_to_cart') as first_cart_time,
            -- Days of the reporting time zone (local days only grow with time: the first
            -- view's day is the earliest view day).
            min(event_date) filter (where event_type = 'product_view') as first_view_date,
            min(event_date) filter (where event_type = 'add_to_cart') as first_cart_date,
            max(event_time) filter (where event_type = 'add_to_cart') as last_cart_time,
            max(event_time) filter (where event_type = 'purchase') as last_purchase_time
        from sessioned
        group by user_id, session_id, product_id
    )
    where first_view_time is not null or first_cart_time is not null
),

counts as (
    select
        product_id,
        first_view_date as activity_date,
        1 as view_sessions,
        cast(viewed_then_carted as integer) as view_to_cart_sessions,
        cast(viewed_then_bought as integer) as view_to_purchase_sessions,
        0 as cart_sessions,
        0 as cart_to_purchase_sessions
    from pairs
    where first_view_time is not null
    union all
    select product_id, first_cart_date, 0, 0, 0, 1, cast(carted_then_bought as integer)
    from pairs
    where first_cart_time is not null
)

select
    product_id,
    activity_date,
    cast(sum(view_sessions) as bigint) as view_sessions,
    cast(sum(view_to_cart_sessions) as bigint) as view_to_cart_sessions,
    cast(sum(view_to_purchase_sessions) as bigint) as view_to_purchase_sessions,
    cast(sum(cart_sessions) as bigint) as cart_sessions,
    cast(sum(cart_to_purchase_sessions) as bigint) as cart_to_purchase_sessions
from counts
group by all
