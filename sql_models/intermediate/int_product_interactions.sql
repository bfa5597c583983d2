-- One row per product seen on events: how often it was viewed, carted and bought (METRICS.md §3,
-- product performance). Events without a product id are not about a product and are left out.
with product_events as (
    select
        product_id,
        count(*) filter (where event_type = 'product_view') as views,
        count(*) filter (where event_type = 'add_to_cart') as add_to_carts,
        count(*) filter (where event_type = 'remove_from_cart') as remove_from_carts,
        min(event_time) as first_event_time,
        max(event_time) as last_event_time
    from stg_events
    where product_id is not null
    group by product_id
),

-- Purchases from the (much smaller) order lines: units, revenue and distinct buyers.
product_sales as (
    select
        product_id,
        count(*) as purchase_lines,
        cast(sum(quantity) as bigint) as units_sold,
        sum(line_revenue) as revenue,
        count(distinct user_id) as buyers
    from int_order_lines
    where product_id is not null
    group by product_id
)

select
    e.product_id,
    e.views,
    e.add_to_carts,
    e.remove_from_carts,
    coalesce(s.purchase_lines, 0) as purchase_lines,
    coalesce(s.units_sold, 0) as units_sold,
    coalesce(s.revenue, 0) as revenue,
    coalesce(s.buyers, 0) as buyers,
    e.first_event_time,
    e.last_event_time
from product_events as e
left join product_sales as s on s.product_id = e.product_id
