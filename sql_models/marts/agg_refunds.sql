-- Dashboards: refund lines (METRICS.md §3: refunds = Σ price × quantity over refund events) per
-- refund day × product × segment × currency, so the revenue views can show refunds and net
-- revenue under the same filters as agg_sales. A line's category follows fct_revenue (the
-- product's in dim_products, else the event's, else 'unknown'). Read from stg_events without its
-- session columns: a plain scan of the refund events.
select
    r.event_date as refund_date,
    coalesce(r.product_id, '(none)') as product_id,
    coalesce(p.category, r.category, 'unknown') as category,
    r.device,
    r.country,
    r.traffic_source,
    r.currency,
    count(*) as refund_items,
    cast(sum(r.quantity) as bigint) as units,
    cast(sum(r.line_refund) as decimal(18, 2)) as refunds
from stg_events as r
left join int_product_categories as p on p.product_id = r.product_id
where r.event_type = 'refund'
group by all
