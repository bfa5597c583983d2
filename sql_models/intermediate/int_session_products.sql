-- One row per session × product viewed, carted or bought in it: the inputs of the product rates,
-- which are shares of sessions (METRICS.md §3, product performance): a session that viewed the
-- product and later (at or after its first view) carted it, a session that carted it and later
-- bought it.
--
-- Reading stg_events without its session columns costs a plain scan; events without a source
-- session id get their session as int_order_lines does (the user's derived session that started
-- last at or before the event, an as-of join), so the events are not sessionized again.
with product_events as not materialized (
    select user_id, source_session_id, product_id, event_type, event_time
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
    select user_id, source_session_id as session_id, product_id, event_type, event_time
    from product_events
    where source_session_id is not null
    union all
    select p.user_id, d.session_id, p.product_id, p.event_type, p.event_time
    from product_events as p
    asof left join derived_sessions as d
        on d.user_id = p.user_id
        and p.event_time >= d.session_start
    where p.source_session_id is null
),

steps as (
    select
        user_id,
        session_id,
        product_id,
        min(event_time) filter (where event_type = 'product_view') as first_view_time,
        min(event_time) filter (where event_type = 'add_to_cart') as first_cart_time,
        max(event_time) filter (where event_type = 'add_to_cart') as last_cart_time,
        max(event_time) filter (where event_type = 'purchase') as last_purchase_time
    from sessioned
    group by all
)

select
    user_id || '|' || session_id as session_key,
    product_id,
    first_view_time,
    first_cart_time,
    cast(first_view_time as date) as first_view_date,
    cast(first_cart_time as date) as first_cart_date,
    first_view_time is not null as viewed,
    coalesce(last_cart_time >= first_view_time, false) as viewed_then_carted,
    coalesce(last_purchase_time >= first_view_time, false) as viewed_then_bought,
    first_cart_time is not null as carted,
    coalesce(last_purchase_time >= first_cart_time, false) as carted_then_bought
from steps
