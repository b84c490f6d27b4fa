SELECT count(*) FROM t WHERE code = 'x'
