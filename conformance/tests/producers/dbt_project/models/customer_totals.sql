-- An aggregate over the first model: a second model run, with column lineage.
select customer, sum(amount) as total from {{ ref('stg_orders') }} group by customer
