-- One row per activity day × product seen on that day's events: how often it was viewed, carted
-- and removed from carts, and its first and last event time that day. Incremental by day (a run
-- counts again only the days new events fall on); int_product_interactions adds the days up, so
-- the product dimension does not read every event. Events without a product id are left out.
select
    event_date as activity_date,
    product_id,
    count(*) filter (where event_type = 'product_view') as views,
    count(*) filter (where event_type = 'add_to_cart') as add_to_carts,
    count(*) filter (where event_type = 'remove_from_cart') as remove_from_carts,
    min(event_time) as first_event_time,
    max(event_time) as last_event_time
from stg_events
where product_id is not null
group by all
