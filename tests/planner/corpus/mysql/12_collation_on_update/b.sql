CREATE TABLE t (id int PRIMARY KEY, a varchar(20) COLLATE utf8mb4_bin, ts timestamp NULL DEFAULT NULL ON UPDATE current_timestamp());
