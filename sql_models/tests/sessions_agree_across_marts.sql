-- description: Every session is counted once in fct_daily_engagement and once in fct_funnel.
-- model: fct_funnel
with totals as (
    select
        (select count(*) from int_sessions) as sessions,
        (select coalesce(sum(sessions), 0) from fct_daily_engagement) as daily_sessions,
        (select coalesce(sum(sessions), 0) from fct_funnel) as funnel_sessions
)

select * from totals where daily_sessions <> sessions or funnel_sessions <> sessions
