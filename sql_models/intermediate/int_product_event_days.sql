-- One row per activity day × product seen on that day's events: how often it was viewed, carted,
-- removed from carts and bought (lines, units, revenue), its first and last event time that day,
-- and its latest category, brand and price that day. Incremental by day (a run counts again only
-- the days new events fall on); int_product_interactions adds the days up, agg_product_day reads
-- its days and int_products its attributes, so none of them reads every event. Events without a
-- product id are left out.
select
    event_date as activity_date,
    product_id,
    count(*) filter (where event_type = 'product_view') as views,
    count(*) filter (where event_type = 'add_to_cart') as add_to_carts,
    count(*) filter (where event_type = 'remove_from_cart') as remove_from_carts,
    count(*) filter (where event_type = 'purchase') as purchase_lines,
    cast(coalesce(sum(quantity) filter (where event_type = 'purchase'), 0) as bigint)
        as units_sold,
    -- In the workspace currency only: money is never summed across currencies.
    cast(coalesce(sum(line_revenue) filter (
        where currency = coalesce(getvariable('workspace_currency'), 'USD')
    ), 0) as decimal(18, 2)) as revenue,
    min(event_time) as first_event_time,
    max(event_time) as last_event_time,
    -- The day's latest non-null attributes (events at one instant: the highest event_id, so
    -- every build and engine agrees): int_products takes those of the latest day that has
    -- one, which is the latest event's (local days only grow with time).
    arg_max(category, (event_time, event_id)) filter (where category is not null)
        as latest_category,
    arg_max(brand, (event_time, event_id)) filter (where brand is not null) as latest_brand,
    arg_max(price, (event_time, event_id)) filter (where price is not null) as latest_price
from stg_events
where product_id is not null
group by all
