SELECT count(*) FROM events WHERE at = '2025-03-01' AND id = 2
