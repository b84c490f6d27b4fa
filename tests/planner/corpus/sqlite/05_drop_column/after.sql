SELECT count(*) FROM orders WHERE status = 'new'
