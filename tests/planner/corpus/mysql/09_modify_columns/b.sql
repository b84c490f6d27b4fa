CREATE TABLE t (id int PRIMARY KEY, a varchar(10) NOT NULL, b bigint, c int DEFAULT 2, d varchar(20) COMMENT 'new');
