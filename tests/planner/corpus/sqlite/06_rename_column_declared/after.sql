SELECT count(*) FROM orders WHERE note = 'keep me'
