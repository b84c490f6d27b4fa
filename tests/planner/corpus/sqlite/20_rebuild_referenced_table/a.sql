CREATE TABLE p (id integer PRIMARY KEY, code integer);
CREATE TABLE c (id integer PRIMARY KEY, p_id integer REFERENCES p (id));
INSERT INTO p VALUES (1, 5);
INSERT INTO c VALUES (1, 1);
