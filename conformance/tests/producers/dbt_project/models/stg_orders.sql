-- A view over the seed, so dbt-ol reports a model run with an input and an output.
select order_id, customer, amount from {{ ref('orders') }}
