CREATE TABLE t (id int NOT NULL, code varchar(10) NOT NULL, PRIMARY KEY (code));
CREATE TABLE u (a int NOT NULL, b int NOT NULL, PRIMARY KEY (a, b));
