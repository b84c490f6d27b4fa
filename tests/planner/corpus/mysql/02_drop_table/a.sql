CREATE TABLE customers (id int PRIMARY KEY);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int, CONSTRAINT o_c FOREIGN KEY (customer_id) REFERENCES customers (id));
CREATE TABLE order_lines (id int PRIMARY KEY, order_id int, CONSTRAINT l_o FOREIGN KEY (order_id) REFERENCES orders (id));
