-- Dashboards: product performance per day (METRICS.md §3 product rules), so the Products tab can
-- follow the date range: views, add-to-carts, units sold and revenue all sum over days, and so do
-- the session counts behind the rates (shares of sessions, int_product_sessions: a session ×
-- product pair counts on the day of its first view, or first cart, of the product), so over any
-- range each numerator stays within its denominator. The category is the product's in
-- dim_products (int_product_categories: catalog, else latest seen on events), 'unknown' without
-- one, so it matches dim_products and fct_revenue.
with product_events as (
    select
        event_date as activity_date,
        product_id,
        count(*) filter (where event_type = 'product_view') as views,
        count(*) filter (where event_type = 'add_to_cart') as add_to_carts,
        cast(coalesce(sum(quantity) filter (where event_type = 'purchase'), 0) as bigint)
            as units_sold,
        -- In the workspace currency only: money is never summed across currencies.
        cast(coalesce(sum(line_revenue) filter (
            where currency = coalesce(getvariable('workspace_currency'), 'USD')
        ), 0) as decimal(18, 2)) as revenue
    from stg_events
    where product_id is not null
        and event_type in ('product_view', 'add_to_cart', 'purchase')
    group by all
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
