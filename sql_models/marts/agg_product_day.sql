-- Dashboards: product performance per day (METRICS.md §3 product rules), so the Products tab can
-- follow the date range: views, add-to-carts, units sold and revenue all sum over days, and so do
-- the session counts behind the rates (shares of sessions, int_product_sessions: a session ×
-- product pair counts on the day of its first view, or first cart, of the product), so over any
-- range each numerator stays within its denominator. The category is the product's in
-- dim_products (int_product_categories: catalog, else latest seen on events), 'unknown' without
-- one, so it matches dim_products and fct_revenue.

-- The day's counts of the product's events (int_product_event_days, which also has product-days
-- with only removals or refunds: those have no row here).
with product_events as (
    select activity_date, product_id, views, add_to_carts, units_sold, revenue
    from int_product_event_days
    where views > 0 or add_to_carts > 0 or purchase_lines > 0
)

-- Every product-day with a view or cart has a product event that day, so the events' rows are
-- all the rows: the session counts join onto them.
select
    e.activity_date,
    e.product_id,
    coalesce(p.category, 'unknown') as category,
    e.views,
    e.add_to_carts,
    e.units_sold,
    e.revenue,
    coalesce(s.view_sessions, 0) as view_sessions,
    coalesce(s.view_to_cart_sessions, 0) as view_to_cart_sessions,
    coalesce(s.view_to_purchase_sessions, 0) as view_to_purchase_sessions,
    coalesce(s.cart_sessions, 0) as cart_sessions,
    coalesce(s.cart_to_purchase_sessions, 0) as cart_to_purchase_sessions
from product_events as e
left join int_product_sessions as s
    on s.product_id = e.product_id
    and s.activity_date = e.activity_date
left join int_product_categories as p on p.product_id = e.product_id
