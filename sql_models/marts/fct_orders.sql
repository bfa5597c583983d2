-- One row per order (METRICS.md §3): lines sharing an order_id are one order; purchase lines
-- without an order_id form one order per session, keyed 'session:<session_key>'. An order belongs
-- to the user, session and day of its first line (ties at one instant: lowest event_id), and is
-- in the currency of its lines (the first line's: orders_in_one_currency warns about an order
-- whose lines disagree).
with orders as (
    select
        order_key,
        bool_and(order_id is not null) as has_source_order_id,
        -- The first line by a sort key of (event_time, event_id): made once per line for the
        -- four and compared as bytes (the engines order by the row value).
        arg_min(user_id, create_sort_key(event_time, 'ASC NULLS LAST', event_id, 'ASC NULLS LAST'))
            as user_id,
        arg_min(session_key,
            create_sort_key(event_time, 'ASC NULLS LAST', event_id, 'ASC NULLS LAST'))
            as session_key,
        arg_min(session_id,
            create_sort_key(event_time, 'ASC NULLS LAST', event_id, 'ASC NULLS LAST'))
            as session_id,
        arg_min(currency, create_sort_key(event_time, 'ASC NULLS LAST', event_id, 'ASC NULLS LAST'))
            as currency,
        min(event_time) as order_time,
        -- The reporting-zone day of the first line (local days only grow with time).
        min(event_date) as order_date,
        count(*) as items,
        count(distinct product_id) as distinct_products,
        cast(sum(quantity) as bigint) as units,
        sum(line_revenue) as revenue,
        count(*) filter (where price is null) as null_price_items,
        count(distinct currency) as currencies
    from int_order_lines
    group by order_key
)

select
    order_key as order_id,
    has_source_order_id,
    user_id,
    session_key,
    session_id,
    order_time,
    order_date,
    currency,
    items,
    distinct_products,
    units,
    revenue,
    null_price_items,
    currencies
from orders
