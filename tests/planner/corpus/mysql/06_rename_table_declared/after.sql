SELECT count(*) FROM orders WHERE customer_id = 7
