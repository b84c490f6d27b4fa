CREATE TABLE customers (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, email varchar(190) NOT NULL);
CREATE TABLE orders (
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  customer_id int NOT NULL,
  total decimal(12,2) NOT NULL DEFAULT 0.00,
  PRIMARY KEY (id),
  KEY orders_total_idx (total),
  CONSTRAINT orders_total_check CHECK (total >= 0),
  CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
) COMMENT='what customers buy';
