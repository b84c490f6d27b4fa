SELECT CASE WHEN count(*) = 2 AND min(status) = 'new' THEN 1 ELSE 0 END FROM orders
