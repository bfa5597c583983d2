-- One row per product (catalog and seen on events) with its performance (METRICS.md §3).
-- The rates are shares of sessions, so they lie in [0, 1]: of the sessions that viewed (carted)
-- the product, those that carted (bought) it at or after their first view (cart) of it. Null
-- when the denominator is 0, and view_to_cart_rate is null where the workspace has no
-- add_to_cart of any product (a share of nothing, not 0).
with source_steps as (
    select bool_or(add_to_carts > 0) as has_carts from int_product_interactions
)

select
    p.product_id,
    p.name,
    p.category,
    p.brand,
    p.price,
    p.in_catalog,
    coalesce(i.views, 0) as views,
    coalesce(i.add_to_carts, 0) as add_to_carts,
    coalesce(i.remove_from_carts, 0) as remove_from_carts,
    coalesce(i.purchase_lines, 0) as purchase_lines,
    coalesce(i.units_sold, 0) as units_sold,
    coalesce(i.revenue, 0) as revenue,
    coalesce(i.buyers, 0) as buyers,
    coalesce(i.view_sessions, 0) as view_sessions,
    coalesce(i.view_to_cart_sessions, 0) as view_to_cart_sessions,
    coalesce(i.cart_sessions, 0) as cart_sessions,
    coalesce(i.cart_to_purchase_sessions, 0) as cart_to_purchase_sessions,
    case
        when s.has_carts then i.view_to_cart_sessions / nullif(i.view_sessions, 0)
    end as view_to_cart_rate,
    i.cart_to_purchase_sessions / nullif(i.cart_sessions, 0) as cart_to_purchase_rate
from int_products as p
left join int_product_interactions as i on i.product_id = p.product_id
cross join source_steps as s
