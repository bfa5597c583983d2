-- description: Purchase lines without a price (they count 0 towards revenue).
-- severity: warn
-- model: int_order_lines
select event_id, event_time, user_id, session_key, order_key, product_id, quantity
from int_order_lines
where price is null
