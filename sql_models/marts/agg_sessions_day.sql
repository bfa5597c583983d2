-- Dashboards: sessions per session day × device × country × traffic source × duration bin.
-- Summing over the bins gives sessions, purchasing sessions (the daily conversion rate's
-- numerator, METRICS.md §3) and bounces for any filter; the bins give the duration histogram.
-- duration_bin 0 holds sessions shorter than 1 s; bin k ≥ 1 holds [2^(k-1), 2^k) seconds, the
-- last bin (17) everything from 65,536 s up.
select
    session_date,
    device,
    country,
    traffic_source,
    cast(
        case
            when duration_s < 1 then 0
            else least(17, floor(log2(duration_s)) + 1)
        end as integer
    ) as duration_bin,
    count(*) as sessions,
    count(*) filter (where has_purchase) as purchase_sessions,
    count(*) filter (where is_bounce) as bounce_sessions,
    -- Summed in whole microseconds and converted once: a sum of doubles depends on the order
    -- the rows come in, so an update and a full rebuild could differ in the last digit.
    cast(sum(epoch_us(session_end) - epoch_us(session_start)) as double) / 1000000 as duration_s
from int_sessions
group by all
