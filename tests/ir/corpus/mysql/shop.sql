-- Every IR object kind MySQL/MariaDB has, in desired-state form.
CREATE TABLE customers (
    id BIGINT NOT NULL AUTO_INCREMENT,
    email VARCHAR(255) NOT NULL,
    display_name VARCHAR(100) DEFAULT 'anon' COMMENT 'shown name',
    code CHAR(8) CHARACTER SET ascii COLLATE ascii_bin,
    score DECIMAL(12,4) CHECK (score >= 0),
    doubled DECIMAL(14,4) AS (score * 2) VIRTUAL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated TIMESTAMP NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY customers_email (email),
    KEY name_prefix (display_name(10) DESC),
    FULLTEXT KEY ft_name (display_name),
    CONSTRAINT email_len CHECK (CHAR_LENGTH(email) > 3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='people who buy';

CREATE TABLE orders (
    id INT NOT NULL AUTO_INCREMENT,
    customer_id BIGINT,
    status ENUM('new','paid','shipped') NOT NULL DEFAULT 'new',
    total DECIMAL(10,2) DEFAULT 0,
    placed DATE NOT NULL,
    PRIMARY KEY (id, placed),
    CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE SET NULL ON UPDATE CASCADE
);
-- MariaDB refuses foreign keys on partitioned tables: partitioning lives on its own table
CREATE TABLE events (
    id INT NOT NULL,
    happened DATE NOT NULL,
    kind VARCHAR(20),
    PRIMARY KEY (id, happened)
) PARTITION BY RANGE (YEAR(happened)) (
    PARTITION p2023 VALUES LESS THAN (2024),
    PARTITION pmax VALUES LESS THAN MAXVALUE
);
CREATE INDEX orders_status ON orders (status, placed) USING BTREE;
CREATE TABLE notes (id INT PRIMARY KEY, customer_id BIGINT, body TEXT, FOREIGN KEY (customer_id) REFERENCES customers (id));
CREATE SEQUENCE invoice_numbers START WITH 1000 INCREMENT BY 1 MINVALUE 1000 MAXVALUE 999999 CACHE 10;
CREATE VIEW paid_orders AS SELECT id, customer_id, total FROM orders WHERE status = 'paid';
CREATE VIEW big_paid AS SELECT id FROM paid_orders WHERE total > 100;
CREATE TRIGGER orders_touch BEFORE INSERT ON orders FOR EACH ROW SET NEW.total = COALESCE(NEW.total, 0);
CREATE FUNCTION add_one(x INT) RETURNS INT DETERMINISTIC RETURN x + 1;
CREATE PROCEDURE archive(IN days INT)
BEGIN
    DELETE FROM orders WHERE placed < CURRENT_DATE - INTERVAL days DAY;
    IF ROW_COUNT() > 0 THEN
        SELECT 'archived';
    END IF;
END;
