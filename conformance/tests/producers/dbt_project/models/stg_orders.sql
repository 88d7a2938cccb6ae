select order_id, customer, amount from {{ ref('orders') }}
