-- One row per product: the catalog (raw.products) united with every product seen on events but
-- missing from the catalog. Attributes the catalog lacks come from the events, where the latest
-- non-null value wins (METRICS.md §1).
with catalog as (
    -- A product imported more than once: the latest load wins.
    select
        product_id,
        nullif(name, '') as name,
        nullif(category, '') as category,
        nullif(brand, '') as brand,
        price
    from raw.products
    where nullif(product_id, '') is not null
    qualify row_number() over (partition by product_id order by _loaded_at desc, _batch_id desc) = 1
),

-- Read from raw.events (not stg_events): product attributes need no sessions.
seen_on_events as (
    select
        product_id,
        arg_max(category, event_time) filter (where nullif(category, '') is not null) as category,
        arg_max(brand, event_time) filter (where nullif(brand, '') is not null) as brand,
        arg_max(price, event_time) filter (where price is not null) as price,
        min(event_time) as first_seen_at,
        max(event_time) as last_seen_at
    from raw.events
    where nullif(product_id, '') is not null
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
from catalog as c
full outer join seen_on_events as e on e.product_id = c.product_id
