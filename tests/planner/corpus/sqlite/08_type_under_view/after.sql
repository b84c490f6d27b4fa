SELECT count(*) FROM big_open_orders
