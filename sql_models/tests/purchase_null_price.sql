-- description: Purchase lines without a price (they count 0 towards revenue).
-- severity: warn
-- model: fct_orders
select l.event_id, s.user_id, s.session_key, l.order_key, l.product_id, l.quantity
from (
    select user_id, session_key, unnest(purchase_lines) as l
    from int_sessions
    where len(purchase_lines) > 0
) as s
where l.price is null
