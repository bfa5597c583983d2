-- description: An order's lines are in one currency (an order whose lines disagree counts in its first line's currency, which overstates it there).
-- severity: warn
-- model: fct_orders
select order_id, user_id, order_time, currency, currencies
from fct_orders
where currencies > 1
