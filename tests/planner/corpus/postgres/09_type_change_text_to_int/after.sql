SELECT count(*) FROM t WHERE code = 42 AND n = 3
