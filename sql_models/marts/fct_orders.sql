-- One row per order (METRICS.md §3): lines sharing an order_id are one order; purchase lines
-- without an order_id form one order per session, keyed 'session:<session_key>'. An order belongs
-- to the user, session and day of its first line (ties at one instant: lowest event_id).
--
-- Money is never summed across currencies: an order whose lines are in several currencies (which
-- orders_in_one_currency warns about) is one row per currency. The part in its first line's
-- currency keeps the order's id; each other part is '<order id> (<currency>)', with the user,
-- session and day of its own first line. Every order of consistent data is one row, as before.
with parts as (
    select
        order_key,
        currency,
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
        arg_min(event_id,
            create_sort_key(event_time, 'ASC NULLS LAST', event_id, 'ASC NULLS LAST'))
            as first_event_id,
        min(event_time) as order_time,
        -- The reporting-zone day of the first line (local days only grow with time).
        min(event_date) as order_date,
        count(*) as items,
        count(distinct product_id) as distinct_products,
        cast(sum(quantity) as bigint) as units,
        sum(line_revenue) as revenue,
        count(*) filter (where price is null) as null_price_items
    from int_order_lines
    group by order_key, currency
),

-- The order's parts by their first line: the first keeps the order's id.
ranked as (
    select
        *,
        row_number() over (partition by order_key order by order_time, first_event_id) as part,
        count(*) over (partition by order_key) as currencies
    from parts
)

select
    case when part = 1 then order_key else order_key || ' (' || currency || ')' end as order_id,
    order_key,
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
from ranked
