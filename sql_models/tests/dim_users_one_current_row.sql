-- description: Every user in dim_users has exactly one current version, and it is the one without valid_to.
-- model: dim_users
select user_id, count(*) filter (where is_current) as current_versions
from dim_users
group by user_id
having count(*) filter (where is_current) <> 1
    or count(*) filter (where is_current and valid_to is null) <> 1
