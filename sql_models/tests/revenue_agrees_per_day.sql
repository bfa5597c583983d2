-- description: Each day's revenue in fct_daily_engagement equals that day's in fct_orders and fct_revenue (orders count on their first line's day).
-- model: fct_daily_engagement
with by_orders as (
    select order_date as activity_date, sum(revenue) as revenue from fct_orders group by all
),

by_category as (
    select order_date as activity_date, sum(revenue) as revenue from fct_revenue group by all
)

select d.activity_date, d.revenue, o.revenue as orders_revenue, c.revenue as category_revenue
from fct_daily_engagement as d
left join by_orders as o on o.activity_date = d.activity_date
left join by_category as c on c.activity_date = d.activity_date
where d.revenue <> coalesce(o.revenue, 0) or d.revenue <> coalesce(c.revenue, 0)
