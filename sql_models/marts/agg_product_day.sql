-- Dashboards: product performance per day (METRICS.md §3 product rules), so the Products tab can
-- follow the date range: views, add-to-carts, units sold and revenue all sum over days, and so do
-- the session counts behind the rates (shares of sessions): a session × product pair counts on
-- the day of its first view of the product for the view-based counts, and on the day of its
-- first cart for the cart-based ones, so over any range each numerator stays within its
-- denominator. The category is the product's in dim_products (catalog, else latest seen on
-- events), 'unknown' without one, so it matches dim_products and fct_revenue.
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
),

view_sessions as (
    select
        first_view_date as activity_date,
        product_id,
        count(*) as view_sessions,
        count(*) filter (where viewed_then_carted) as view_to_cart_sessions,
        count(*) filter (where viewed_then_bought) as view_to_purchase_sessions
    from int_session_products
    where viewed
    group by all
),

cart_sessions as (
    select
        first_cart_date as activity_date,
        product_id,
        count(*) as cart_sessions,
        count(*) filter (where carted_then_bought) as cart_to_purchase_sessions
    from int_session_products
    where carted
    group by all
),

days as (
    select activity_date, product_id from product_events
    union
    select activity_date, product_id from view_sessions
    union
    select activity_date, product_id from cart_sessions
)

select
    d.activity_date,
    d.product_id,
    coalesce(p.category, 'unknown') as category,
    coalesce(e.views, 0) as views,
    coalesce(e.add_to_carts, 0) as add_to_carts,
    coalesce(e.units_sold, 0) as units_sold,
    coalesce(e.revenue, 0) as revenue,
    coalesce(v.view_sessions, 0) as view_sessions,
    coalesce(v.view_to_cart_sessions, 0) as view_to_cart_sessions,
    coalesce(v.view_to_purchase_sessions, 0) as view_to_purchase_sessions,
    coalesce(c.cart_sessions, 0) as cart_sessions,
    coalesce(c.cart_to_purchase_sessions, 0) as cart_to_purchase_sessions
from days as d
left join product_events as e using (activity_date, product_id)
left join view_sessions as v using (activity_date, product_id)
left join cart_sessions as c using (activity_date, product_id)
left join dim_products as p on p.product_id = d.product_id
