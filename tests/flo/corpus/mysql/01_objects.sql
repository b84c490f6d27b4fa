-- Fidelity corpus for MariaDB 10.11: one or more of every IR object kind the family supports
-- (MariaDB has no schemas, user types or extensions).
CREATE TABLE customers (
  id int NOT NULL AUTO_INCREMENT,
  email varchar(190) NOT NULL COMMENT 'login',
  name varchar(200) NOT NULL DEFAULT '',
  mood enum('sad','ok','happy') DEFAULT 'ok',
  created_at timestamp NOT NULL DEFAULT current_timestamp(),
  updated_at timestamp NULL DEFAULT NULL ON UPDATE current_timestamp(),
  score decimal(12,4) DEFAULT NULL CHECK (score >= 0),
  prefs json DEFAULT NULL,
  nick varchar(50) COLLATE utf8mb4_bin DEFAULT NULL,
  `lines` int DEFAULT NULL CHECK (`lines` >= 0),
  PRIMARY KEY (id),
  KEY customers_lines_idx (`lines`),
  UNIQUE KEY customers_email_key (email)
) COMMENT='people who buy';
CREATE TABLE orders (
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  customer_id int NOT NULL,
  total decimal(12,2) NOT NULL DEFAULT 0.00,
  qty int NOT NULL,
  price decimal(10,2) NOT NULL,
  amount decimal(20,2) GENERATED ALWAYS AS (qty * price) STORED,
  label varchar(40) GENERATED ALWAYS AS (concat('#', id)) VIRTUAL,
  status varchar(20) NOT NULL DEFAULT 'new',
  note text,
  PRIMARY KEY (id),
  KEY orders_status_idx (status, total DESC),
  KEY orders_note_prefix (note(20)),
  FULLTEXT KEY orders_note_ft (note),
  CONSTRAINT orders_total_check CHECK (total >= 0),
  CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
    ON DELETE CASCADE ON UPDATE RESTRICT
);
CREATE TABLE events (
  id bigint NOT NULL,
  at date NOT NULL,
  payload longtext,
  PRIMARY KEY (id, at)
) PARTITION BY RANGE (year(at)) (
  PARTITION p2024 VALUES LESS THAN (2025),
  PARTITION p2025 VALUES LESS THAN (2026),
  PARTITION pmax VALUES LESS THAN MAXVALUE
);
CREATE SEQUENCE invoice_no START WITH 1000 INCREMENT BY 5 MINVALUE 1000 MAXVALUE 999999
  CACHE 10 CYCLE;
CREATE SEQUENCE ticket_no;
CREATE VIEW open_orders AS SELECT id, total FROM orders WHERE status <> 'done';
CREATE VIEW big_open_orders AS SELECT id FROM open_orders WHERE total > 100;
CREATE FUNCTION add_one(a int) RETURNS int DETERMINISTIC RETURN a + 1;
CREATE PROCEDURE archive(IN days int) MODIFIES SQL DATA DELETE FROM orders WHERE 1 = 0;
CREATE TRIGGER orders_touch BEFORE INSERT ON orders FOR EACH ROW SET NEW.status = lower(NEW.status);
-- the tool's own journal: never part of a learned snapshot
CREATE TABLE sqlx_journal (id int PRIMARY KEY, note text);
