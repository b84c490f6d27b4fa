CREATE TABLE t (id integer PRIMARY KEY, qty integer, price integer, total integer GENERATED ALWAYS AS (qty * price) STORED);
