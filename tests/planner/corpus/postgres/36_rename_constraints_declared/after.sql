SELECT count(*) = 2 FROM child WHERE (id, parent_id, qty, sku) IN ((10, 1, 5, 'x'), (11, 2, 7, 'y'))
SELECT count(*) = 5 FROM pg_constraint WHERE conname IN ('child_pkey', 'child_parent_id_fkey', 'child_qty_check', 'child_sku_key', 'parent_code_key')
