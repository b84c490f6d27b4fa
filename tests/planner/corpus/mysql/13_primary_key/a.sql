CREATE TABLE t (id int NOT NULL, code varchar(10) NOT NULL, PRIMARY KEY (id));
CREATE TABLE u (a int NOT NULL, b int NOT NULL);
