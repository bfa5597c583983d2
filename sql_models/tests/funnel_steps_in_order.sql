-- description: Per session, each funnel step is reached only after the previous one, at a time not earlier than it.
-- model: int_sessions
select session_key, product_view_at, add_to_cart_at, checkout_at, purchase_at
from int_sessions
where (add_to_cart_at is not null and not coalesce(add_to_cart_at >= product_view_at, false))
    or (checkout_at is not null and not coalesce(checkout_at >= add_to_cart_at, false))
    or (purchase_at is not null and not coalesce(purchase_at >= checkout_at, false))
