-- description: Σ revenue is the same, to the cent, in fct_daily_engagement, fct_revenue, fct_orders and int_sessions.
-- model: fct_daily_engagement
-- Returns one row (the four totals) when any two differ; DECIMAL sums are exact.
with totals as (
    select
        (select coalesce(sum(revenue), 0) from fct_daily_engagement) as daily_engagement,
        (select coalesce(sum(revenue), 0) from fct_revenue) as revenue_by_category,
        (select coalesce(sum(revenue), 0) from fct_orders) as orders,
        (select coalesce(sum(revenue), 0) from int_sessions) as sessions
)

select *
from totals
where daily_engagement <> orders
    or revenue_by_category <> orders
    or sessions <> orders
