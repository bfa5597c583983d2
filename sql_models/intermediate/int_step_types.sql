-- Which steps of the ordered funnel the workspace has events of at all (METRICS.md §3): a step
-- type absent from the whole workspace counts as reached at the previous step's time. One row.
--
-- A model of its own rather than a step of int_sessions: int_sessions is updated one user at a
-- time, and these flags belong to the whole workspace (when one changes, every session is
-- computed again). Read from the per-day counts of event types.
select
    coalesce(bool_or(event_type = 'product_view'), false) as has_product_view,
    coalesce(bool_or(event_type = 'add_to_cart'), false) as has_add_to_cart,
    coalesce(bool_or(event_type = 'begin_checkout'), false) as has_begin_checkout,
    coalesce(bool_or(event_type = 'purchase'), false) as has_purchase
from int_event_type_days
