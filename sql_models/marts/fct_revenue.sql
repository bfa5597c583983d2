-- Revenue per order day and product category (METRICS.md §2). A line's category is its product's
-- (dim_products: catalog first, else the latest seen on events), else the one carried on the
-- event, else 'unknown', so the grain has no nulls. Lines count on the day of their order, so
-- daily totals agree with fct_orders and fct_daily_engagement. An order with lines in several
-- categories counts once in each: orders do not add up across categories.
select
    o.order_date,
    coalesce(p.category, l.category, 'unknown') as category,
    count(distinct l.order_key) as orders,
    count(*) as items,
    cast(sum(l.quantity) as bigint) as units,
    sum(l.line_revenue) as revenue,
    count(distinct l.user_id) as buyers
from int_order_lines as l
join fct_orders as o on o.order_id = l.order_key
left join dim_products as p on p.product_id = l.product_id
group by all
