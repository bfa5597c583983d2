-- One row per product × day: the session counts behind the product rates, which are shares of
-- sessions (METRICS.md §3, product performance). A session × product pair counts on the day of
-- its first view of the product for the view-based counts (the pair viewed it; and carted, or
-- bought, it at or after that first view), and on the day of its first cart for the cart-based
-- ones (carted it; and bought it at or after that first cart). So the counts add up over days
-- to the product's, and over any range each numerator stays within its denominator.
with pairs as (
    select * from int_session_products
),

counts as (
    select
        product_id,
        first_view_date as activity_date,
        1 as view_sessions,
        cast(viewed_then_carted as integer) as view_to_cart_sessions,
        cast(viewed_then_bought as integer) as view_to_purchase_sessions,
        0 as cart_sessions,
        0 as cart_to_purchase_sessions
    from pairs
    where first_view_date is not null
    union all
    select product_id, first_cart_date, 0, 0, 0, 1, cast(carted_then_bought as integer)
    from pairs
    where first_cart_date is not null
)

select
    product_id,
    activity_date,
    cast(sum(view_sessions) as bigint) as view_sessions,
    cast(sum(view_to_cart_sessions) as bigint) as view_to_cart_sessions,
    cast(sum(view_to_purchase_sessions) as bigint) as view_to_purchase_sessions,
    cast(sum(cart_sessions) as bigint) as cart_sessions,
    cast(sum(cart_to_purchase_sessions) as bigint) as cart_to_purchase_sessions
from counts
group by all
