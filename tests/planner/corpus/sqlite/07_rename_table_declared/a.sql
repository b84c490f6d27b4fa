CREATE TABLE purchase (id integer PRIMARY KEY, total integer);
INSERT INTO purchase VALUES (1, 5);
CREATE VIEW purchase_ids AS SELECT id FROM purchase;
