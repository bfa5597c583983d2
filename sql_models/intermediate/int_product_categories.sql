-- One row per product: its category as dim_products has it (the catalog's, else the latest seen
-- on events), for the marts that count by product and day. A table of its own so that those
-- marts, updated day by day, are rebuilt in full only when a category changes, not whenever a
-- product's counts do.
select product_id, category
from int_products
