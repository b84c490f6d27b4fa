-- adding a whole table (with its index and a foreign key to an existing table)
CREATE TABLE customers (id integer PRIMARY KEY, email text NOT NULL);
