-- Revenue, refunds and net revenue per day, product category and currency (METRICS.md §2, §3):
-- money is never summed across currencies. A line's category is its product's (dim_products:
-- catalog first, else the latest seen on events), else the one carried on the event, else
-- 'unknown', so the grain has no nulls. Purchase lines count on the day of their order (its
-- part in their currency, see fct_orders) and in their own currency, so the totals agree with
-- fct_orders (and, in the workspace currency, with fct_daily_engagement). Refund lines count on
-- their own day. An order with lines in several categories counts once in each: orders do not
-- add up across categories.
with sales as (
    select
        o.order_date,
        coalesce(p.category, l.category, 'unknown') as category,
        o.currency,
        count(distinct o.order_id) as orders,
        count(*) as items,
        cast(sum(l.quantity) as bigint) as units,
        sum(l.line_revenue) as revenue,
        count(distinct l.user_id) as buyers
    from int_order_lines as l
    join fct_orders as o on o.order_key = l.order_key and o.currency = l.currency
    left join dim_products as p on p.product_id = l.product_id
    group by all
),

-- Read from stg_events without its session columns: a plain scan of the refund lines.
refunds as (
    select
        r.event_date as order_date,
        coalesce(p.category, r.category, 'unknown') as category,
        r.currency,
        count(*) as refund_items,
        sum(r.line_refund) as refunds
    from stg_events as r
    left join dim_products as p on p.product_id = r.product_id
    where r.event_type = 'refund'
    group by all
)

select
    order_date,
    category,
    currency,
    coalesce(s.orders, 0) as orders,
    coalesce(s.items, 0) as items,
    coalesce(s.units, 0) as units,
    coalesce(s.revenue, 0) as revenue,
    coalesce(s.buyers, 0) as buyers,
    coalesce(r.refund_items, 0) as refund_items,
    coalesce(r.refunds, 0) as refunds,
    coalesce(s.revenue, 0) - coalesce(r.refunds, 0) as net_revenue
from sales as s
full outer join refunds as r using (order_date, category, currency)
