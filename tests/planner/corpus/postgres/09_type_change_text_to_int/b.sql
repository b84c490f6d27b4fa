CREATE TABLE t (id integer PRIMARY KEY, code integer DEFAULT 0, n bigint);
