-- NOT NULL written out: a WITHOUT ROWID table's key is NOT NULL (parse_ddl does not infer it yet)
CREATE TABLE kv (k text NOT NULL PRIMARY KEY, v text) WITHOUT ROWID;
