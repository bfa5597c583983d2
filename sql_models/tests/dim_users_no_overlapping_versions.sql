-- description: A user's versions do not overlap and leave no gap: each ends exactly where the next begins, and none ends before it starts.
-- model: dim_users
-- per: user_id
select user_id, user_sk, valid_from, valid_to, next_valid_from
from (
    select
        user_id,
        user_sk,
        valid_from,
        valid_to,
        lead(valid_from) over (partition by user_id order by valid_from, user_sk) as next_valid_from
    from dim_users
)
where valid_to is distinct from next_valid_from
    or valid_to <= valid_from
