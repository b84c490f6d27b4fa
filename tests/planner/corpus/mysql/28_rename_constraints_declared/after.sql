SELECT count(*) = 2 FROM child WHERE (id, parent_id, qty, sku) IN ((10, 1, 5, 'x'), (11, 2, 7, 'y'))
SELECT count(*) = 4 FROM information_schema.table_constraints WHERE table_schema = DATABASE() AND constraint_name IN ('parent_code_key', 'child_parent_fk', 'child_qty_check', 'child_sku_key')
