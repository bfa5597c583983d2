-- description: Each day's revenue and refunds in fct_daily_engagement equal that day's in fct_orders and fct_revenue, in the workspace currency (orders count on their first line's day).
-- model: fct_daily_engagement
with ws as (select coalesce(getvariable('workspace_currency'), 'USD') as currency),

by_orders as (
    select order_date as activity_date, sum(revenue) as revenue
    from fct_orders
    where currency = (select currency from ws)
    group by all
),

by_category as (
    select order_date as activity_date, sum(revenue) as revenue, sum(refunds) as refunds
    from fct_revenue
    where currency = (select currency from ws)
    group by all
)

select
    d.activity_date, d.revenue, d.refunds, o.revenue as orders_revenue,
    c.revenue as category_revenue, c.refunds as category_refunds
from fct_daily_engagement as d
left join by_orders as o on o.activity_date = d.activity_date
left join by_category as c on c.activity_date = d.activity_date
where d.revenue <> coalesce(o.revenue, 0)
    or d.revenue <> coalesce(c.revenue, 0)
    or d.refunds <> coalesce(c.refunds, 0)
    or d.net_revenue <> d.revenue - d.refunds
