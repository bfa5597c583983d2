-- One row per product seen on events: how often it was viewed, carted and bought (METRICS.md §3,
-- product performance). Events without a product id are not about a product and are left out.
select
    product_id,
    count(*) filter (where event_type = 'product_view') as views,
    count(*) filter (where event_type = 'add_to_cart') as add_to_carts,
    count(*) filter (where event_type = 'remove_from_cart') as remove_from_carts,
    count(*) filter (where event_type = 'purchase') as purchase_lines,
    cast(coalesce(sum(quantity) filter (where event_type = 'purchase'), 0) as bigint) as units_sold,
    coalesce(sum(line_revenue), 0) as revenue,
    count(distinct user_id) filter (where event_type = 'purchase') as buyers,
    min(event_time) as first_event_time,
    max(event_time) as last_event_time
from stg_events
where product_id is not null
group by product_id
