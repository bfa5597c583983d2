-- description: Σ revenue and Σ refunds agree to the cent, per currency: fct_revenue with fct_orders (revenue) and stg_events (refunds) in every currency; fct_daily_engagement and int_sessions with them in the workspace currency.
-- model: fct_daily_engagement
-- Returns one row per currency whose totals differ; DECIMAL sums are exact.
with ws as (select coalesce(getvariable('workspace_currency'), 'USD') as currency),

by_orders as (
    select currency, sum(revenue) as revenue from fct_orders group by currency
),

by_category as (
    select currency, sum(revenue) as revenue, sum(refunds) as refunds, sum(net_revenue) as net_revenue
    from fct_revenue group by currency
),

refund_lines as (
    select currency, sum(line_refund) as refunds from stg_events where event_type = 'refund' group by currency
),

currencies as (
    select currency from by_orders
    union select currency from by_category
    union select currency from refund_lines
    union select currency from ws
),

totals as (
    select
        c.currency,
        coalesce(o.revenue, 0) as orders_revenue,
        coalesce(r.revenue, 0) as category_revenue,
        coalesce(r.refunds, 0) as category_refunds,
        coalesce(r.net_revenue, 0) as category_net_revenue,
        coalesce(l.refunds, 0) as refund_lines,
        case when c.currency = ws.currency
            then (select coalesce(sum(revenue), 0) from fct_daily_engagement) end as daily_revenue,
        case when c.currency = ws.currency
            then (select coalesce(sum(refunds), 0) from fct_daily_engagement) end as daily_refunds,
        -- int_sessions counts each purchase line in its own currency, as fct_orders does
        -- (an order in several currencies is a row per currency there).
        case when c.currency = ws.currency
            then (select coalesce(sum(revenue), 0) from int_sessions) end as sessions_revenue
    from currencies as c
    cross join ws
    left join by_orders as o on o.currency = c.currency
    left join by_category as r on r.currency = c.currency
    left join refund_lines as l on l.currency = c.currency
)

select *
from totals
where category_revenue <> orders_revenue
    or category_refunds <> refund_lines
    or category_net_revenue <> category_revenue - category_refunds
    or daily_revenue <> orders_revenue
    or daily_refunds <> refund_lines
    or sessions_revenue <> orders_revenue
