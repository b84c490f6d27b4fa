SELECT count(*) FROM t WHERE cheer(m) = 'happy' AND double_it(n) = 10 AND array_length(ms, 1) = 2
