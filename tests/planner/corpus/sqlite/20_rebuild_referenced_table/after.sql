SELECT count(*) FROM c JOIN p ON p.id = c.p_id
