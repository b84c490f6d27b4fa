CREATE TABLE t (id integer PRIMARY KEY, code varchar(10) DEFAULT '0', n smallint);
INSERT INTO t VALUES (1, '42', 3);
