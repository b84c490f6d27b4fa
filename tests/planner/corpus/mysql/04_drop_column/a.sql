CREATE TABLE orders (id int PRIMARY KEY, legacy varchar(10), status varchar(10), KEY legacy_idx (legacy));
