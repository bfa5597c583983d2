-- Users as a type-2 slowly changing dimension (METRICS.md §3): one row per user version.
-- A snapshot whose tracked attributes (signup_date, country, segment, device) differ from the
-- user's previous snapshot opens a new version at its updated_at, closing the previous one at
-- that same instant. Users without any snapshot get one version built from their events, valid
-- from their first event.
with snapshots as (
    select
        *,
        (signup_date, country, segment, device) is distinct from lag((signup_date, country, segment, device))
            over (partition by user_id order by updated_at) as opens_version
    from stg_users
),

snapshot_versions as (
    select
        user_id,
        cast(row_number() over user_versions as integer) as version,
        signup_date,
        country,
        segment,
        device,
        updated_at as valid_from,
        lead(updated_at) over user_versions as valid_to,
        'snapshot' as version_source
    from snapshots
    where opens_version
    window user_versions as (partition by user_id order by updated_at)
),

event_only_versions as (
    select
        j.user_id,
        1 as version,
        cast(null as date) as signup_date,
        j.first_country as country,
        cast(null as varchar) as segment,
        j.first_device as device,
        j.first_event_time as valid_from,
        cast(null as timestamp) as valid_to,
        'events' as version_source
    from int_user_journey as j
    anti join stg_users as u on u.user_id = j.user_id
),

versions as (
    select * from snapshot_versions
    union all
    select * from event_only_versions
)

select
    user_id || '#' || version as user_sk,
    user_id,
    version,
    signup_date,
    country,
    segment,
    device,
    valid_from,
    valid_to,
    valid_to is null as is_current,
    version_source
from versions
