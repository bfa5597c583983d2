-- One row per product (catalog and seen on events) with its performance (METRICS.md §3).
-- Rates are null when their denominator is 0.
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
    i.add_to_carts / nullif(i.views, 0) as view_to_cart_rate,
    i.units_sold / nullif(i.add_to_carts, 0) as cart_to_purchase_rate
from stg_products as p
left join int_product_interactions as i on i.product_id = p.product_id
