SELECT count(*) FROM kv WHERE v = 'b'
