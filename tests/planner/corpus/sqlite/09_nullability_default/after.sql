SELECT count(*) FROM t WHERE a = 'x' AND b = 'y' AND c = 2
