-- One row per product seen on events: how often it was viewed, carted and bought (METRICS.md §3,
-- product performance). Events without a product id are not about a product and are left out.
with product_events as (
    select
        product_id,
        cast(sum(views) as bigint) as views,
        cast(sum(add_to_carts) as bigint) as add_to_carts,
        cast(sum(remove_from_carts) as bigint) as remove_from_carts,
        min(first_event_time) as first_event_time,
        max(last_event_time) as last_event_time
    from int_product_event_days
    group by product_id
),

product_sales as (
    select
        product_id,
        count(*) as purchase_lines,
        cast(sum(quantity) as bigint) as units_sold,
        -- In the workspace currency only: money is never summed across currencies.
        coalesce(sum(line_revenue) filter (
            where currency = coalesce(getvariable('workspace_currency'), 'USD')
        ), 0) as revenue,
        count(distinct user_id) as buyers
    from int_order_lines
    where product_id is not null
    group by product_id
),

-- Session shares: sessions that viewed (carted) the product, and of those the ones that carted
-- (bought) it at or after their first view (cart) of it (summed over days).
product_sessions as (
    select
        product_id,
        sum(view_sessions) as view_sessions,
        sum(view_to_cart_sessions) as view_to_cart_sessions,
        sum(view_to_purchase_sessions) as view_to_purchase_sessions,
        sum(cart_sessions) as cart_sessions,
        sum(cart_to_purchase_sessions) as cart_to_purchase_sessions
    from int_product_sessions
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
    cast(coalesce(ps.view_sessions, 0) as bigint) as view_sessions,
    cast(coalesce(ps.view_to_cart_sessions, 0) as bigint) as view_to_cart_sessions,
    cast(coalesce(ps.view_to_purchase_sessions, 0) as bigint) as view_to_purchase_sessions,
    cast(coalesce(ps.cart_sessions, 0) as bigint) as cart_sessions,
    cast(coalesce(ps.cart_to_purchase_sessions, 0) as bigint) as cart_to_purchase_sessions,
    e.first_event_time,
    e.last_event_time
from product_events as e
left join product_sales as s on s.product_id = e.product_id
left join product_sessions as ps on ps.product_id = e.product_id
