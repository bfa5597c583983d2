-- One row per product of the catalog (raw.products): a product imported more than once takes
-- its latest load (within one file, its last line). Products seen on events but missing from the catalog, and the attributes the
-- catalog lacks, are added in int_products (from the product days, not every event).
select
    product_id,
    nullif(name, '') as name,
    nullif(category, '') as category,
    nullif(brand, '') as brand,
    price
from raw.products
where nullif(product_id, '') is not null
qualify row_number() over (
    partition by product_id
    order by _loaded_at desc, _batch_id desc, _source_line desc nulls last
) = 1
