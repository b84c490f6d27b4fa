CREATE TABLE t (id int PRIMARY KEY, a varchar(10), b int NOT NULL, c int DEFAULT 1, d varchar(20) COMMENT 'old');
INSERT INTO t VALUES (1, 'x', 2, 3, 'y');
