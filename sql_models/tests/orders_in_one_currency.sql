-- description: An order's lines are in one currency (an order whose lines disagree is split into a row of fct_orders per currency, the others named '<order id> (<currency>)'; it still counts as one order).
-- severity: warn
-- model: fct_orders
select order_id, user_id, order_time, currency, currencies
from fct_orders
where currencies > 1
