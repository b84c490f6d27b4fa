CREATE TABLE orders (id integer PRIMARY KEY, remark text);
