SELECT count(*) = 2 FROM orders WHERE status = 'new'
