-- One row per product: the catalog (stg_products) united with every product seen on events but
-- missing from it. Attributes the catalog lacks come from the events, where the latest non-null
-- value wins (METRICS.md §1).
--
-- Read from the product days (int_product_event_days: each day's latest attributes, first and
-- last event time), a few rows per product, instead of every event: the latest day with a
-- value holds the latest event with one.
with seen_on_events as (
    select
        product_id,
        arg_max(latest_category, activity_date) filter (where latest_category is not null)
            as category,
        arg_max(latest_brand, activity_date) filter (where latest_brand is not null) as brand,
        arg_max(latest_price, activity_date) filter (where latest_price is not null) as price,
        min(first_event_time) as first_seen_at,
        max(last_event_time) as last_seen_at
    from int_product_event_days
    group by product_id
)

select
    coalesce(c.product_id, e.product_id) as product_id,
    c.name,
    coalesce(c.category, e.category) as category,
    coalesce(c.brand, e.brand) as brand,
    coalesce(c.price, e.price) as price,
    c.product_id is not null as in_catalog,
    e.first_seen_at,
    e.last_seen_at
from stg_products as c
full outer join seen_on_events as e on e.product_id = c.product_id
