-- a type change on a referenced key: the foreign key is dropped around it
CREATE TABLE p (id integer PRIMARY KEY);
CREATE TABLE c (id integer PRIMARY KEY, p_id integer REFERENCES p (id));
INSERT INTO p VALUES (1);
INSERT INTO c VALUES (1, 1);
