-- description: Every rate column of the marts lies in [0, 1] (rates are shares; null where undefined).
-- model: dim_products
select 'dim_products' as model, product_id as row_key, 'view_to_cart_rate' as rate, view_to_cart_rate as value
from dim_products where view_to_cart_rate not between 0 and 1
union all
select 'dim_products', product_id, 'cart_to_purchase_rate', cart_to_purchase_rate
from dim_products where cart_to_purchase_rate not between 0 and 1
union all
select 'fct_daily_engagement', cast(activity_date as varchar), 'conversion_rate', conversion_rate
from fct_daily_engagement where conversion_rate not between 0 and 1
union all
select 'fct_daily_engagement', cast(activity_date as varchar), 'stickiness', stickiness
from fct_daily_engagement where stickiness not between 0 and 1
union all
select 'fct_cohort_retention', cohort_week || ' +' || week_number, 'retention_rate', retention_rate
from fct_cohort_retention where retention_rate not between 0 and 1
