-- Dashboards: product performance per day (METRICS.md §3 product rules), so the Products tab can
-- follow the date range: views, add-to-carts, units sold and revenue all sum over days. The
-- category is the product's in dim_products (catalog, else latest seen on events), 'unknown'
-- without one, so it matches dim_products and fct_revenue.
select
    e.event_date as activity_date,
    e.product_id,
    coalesce(p.category, 'unknown') as category,
    count(*) filter (where e.event_type = 'product_view') as views,
    count(*) filter (where e.event_type = 'add_to_cart') as add_to_carts,
    cast(coalesce(sum(e.quantity) filter (where e.event_type = 'purchase'), 0) as bigint)
        as units_sold,
    cast(coalesce(sum(e.line_revenue), 0) as decimal(18, 2)) as revenue
from stg_events as e
left join dim_products as p on p.product_id = e.product_id
where e.product_id is not null
    and e.event_type in ('product_view', 'add_to_cart', 'purchase')
group by all
