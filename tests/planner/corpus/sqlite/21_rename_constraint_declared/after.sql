SELECT count(*) = 2 FROM child WHERE (id = 10 AND parent_id = 1 AND qty = 5) OR (id = 11 AND parent_id = 2 AND qty = 7)
SELECT count(*) FROM sqlite_master WHERE name = 'child' AND sql LIKE '%child_parent_fk%' AND sql LIKE '%child_qty_check%'
