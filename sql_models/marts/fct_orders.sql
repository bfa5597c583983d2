-- One row per order (METRICS.md §3): lines sharing an order_id are one order; purchase lines
-- without an order_id form one order per session, keyed 'session:<session_key>'. An order belongs
-- to the user, session and day of its first line (ties at one instant: lowest event_id).
with purchase_lines as (
    -- int_sessions carries each session's purchase lines, already tied to their session.
    select
        s.user_id,
        s.session_key,
        s.session_id,
        unnest(s.purchase_lines, recursive := true)
    from int_sessions as s
    where len(s.purchase_lines) > 0
)

select
    order_key as order_id,
    bool_and(order_id is not null) as has_source_order_id,
    arg_min(user_id, (event_time, event_id)) as user_id,
    arg_min(session_key, (event_time, event_id)) as session_key,
    arg_min(session_id, (event_time, event_id)) as session_id,
    min(event_time) as order_time,
    cast(min(event_time) as date) as order_date,
    count(*) as items,
    count(distinct product_id) as distinct_products,
    cast(sum(quantity) as bigint) as units,
    sum(line_revenue) as revenue,
    count(*) filter (where price is null) as null_price_items
from purchase_lines
group by order_key
