-- User profile snapshots (raw.users), cleaned. The same snapshot loaded twice (same user and
-- updated_at) is kept once: the latest load wins (within one file, its last line).
select
    user_id,
    signup_date,
    nullif(country, '') as country,
    nullif(segment, '') as segment,
    nullif(device, '') as device,
    updated_at,
    _batch_id
from raw.users
where nullif(user_id, '') is not null
qualify row_number() over (
    partition by user_id, updated_at
    order by _loaded_at desc, _batch_id desc, _source_line desc nulls last
) = 1
