CREATE TABLE kv (k text PRIMARY KEY, v text);
INSERT INTO kv VALUES ('a', 'b');
