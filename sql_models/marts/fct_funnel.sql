-- Ordered session funnel (METRICS.md §3) per session day, device, traffic source and country (the
-- session's first event's). Each step counts the sessions that reached it, so counts never grow
-- from step to step; step types absent from the whole workspace count as reached (at the
-- previous step's time; step 1 at the session's start).
select
    session_date,
    device,
    traffic_source,
    country,
    count(*) as sessions,
    count(*) filter (where reached_product_view) as product_view_sessions,
    count(*) filter (where reached_add_to_cart) as add_to_cart_sessions,
    count(*) filter (where reached_checkout) as checkout_sessions,
    count(*) filter (where reached_purchase) as purchase_sessions,
    count(*) filter (where has_purchase) as sessions_with_purchase
from int_sessions
group by all
