SELECT count(*) FROM c WHERE parent_id = 1
