-- One row per session × product the session viewed or carted (METRICS.md §3, product
-- performance): the days it first viewed and first carted the product, and whether it carted, or
-- bought, the product at or after that. int_product_sessions counts these pairs by product and day.
-- The times themselves are not kept: nothing reads them, and storing them cost up to a fifth of
-- building the model at 10M events (1.5–1.7 s against 1.7–2.2 s; at 100M, where the aggregation
-- dominates, 31 s either way).
--
-- Reading stg_events without its session columns costs a plain scan; events without a source
-- session id get the user's derived session that holds them (as in int_order_lines), so the
-- events are not sessionized again.
with product_events as not materialized (
    select user_id, source_session_id, product_id, event_type, event_time, event_date
    from stg_events
    where product_id is not null
        and event_type in ('product_view', 'add_to_cart', 'purchase')
),

-- A bucket of time in microseconds: the session timeout, at least an hour. This and the
-- derived sessions by bucket are as in int_order_lines: keep the two in step.
bucket_size as (
    select cast(greatest(coalesce(getvariable('session_timeout_minutes'), 30), 60) as bigint)
        * 60000000 as us
),

-- The derived sessions by the buckets of time they span. An event is matched on its user and
-- bucket to the derived session whose first and last events enclose it: a user's derived
-- sessions are more than a timeout apart, so exactly one does. An equality join reads each side
-- once, where an as-of join sorted both (at 10M events without source session ids: 2.7-3.1 s
-- against 4.3-4.9 s). A session of n events lasts at most n - 1 timeouts, so it spans at most
-- n + 1 buckets: no more rows here than sessions and events together.
derived_sessions as (
    select
        s.user_id,
        s.session_start,
        s.session_end,
        s.session_id,
        unnest(range(epoch_us(s.session_start) // b.us, epoch_us(s.session_end) // b.us + 1))
            as bucket
    from int_sessions as s
    cross join bucket_size as b
    where s.is_derived_session
),

sessioned as (
    select user_id, source_session_id as session_id, product_id, event_type, event_time, event_date
    from product_events
    where source_session_id is not null
    union all
    select p.user_id, d.session_id, p.product_id, p.event_type, p.event_time, p.event_date
    from product_events as p
    cross join bucket_size as b
    left join derived_sessions as d
        on d.user_id = p.user_id
        and d.bucket = epoch_us(p.event_time) // b.us
        and p.event_time between d.session_start and d.session_end
    where p.source_session_id is null
)

select
    user_id,
    session_id,
    product_id,
    first_view_date,
    first_cart_date,
    coalesce(last_cart_time >= first_view_time, false) as viewed_then_carted,
    coalesce(last_purchase_time >= first_view_time, false) as viewed_then_bought,
    coalesce(last_purchase_time >= first_cart_time, false) as carted_then_bought
from (
    select
        user_id,
        session_id,
        product_id,
        -- Conditional values rather than FILTER clauses: with about one event per group
        -- (51M groups of 58M events at 100M events), DuckDB aggregates them with less work
        -- (into a temp table: 22 s against 31 s; written to the workspace, where storing the
        -- 51M rows takes most of the time: 29 s either way).
        min(case when event_type = 'product_view' then event_time end) as first_view_time,
        min(case when event_type = 'add_to_cart' then event_time end) as first_cart_time,
        -- Days of the reporting time zone (local days only grow with time: the first
        -- view's day is the earliest view day).
        min(case when event_type = 'product_view' then event_date end) as first_view_date,
        min(case when event_type = 'add_to_cart' then event_date end) as first_cart_date,
        max(case when event_type = 'add_to_cart' then event_time end) as last_cart_time,
        max(case when event_type = 'purchase' then event_time end) as last_purchase_time
    from sessioned
    group by user_id, session_id, product_id
)
where first_view_time is not null or first_cart_time is not null
